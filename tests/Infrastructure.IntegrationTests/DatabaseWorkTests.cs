using System.Diagnostics;
using LocalKeyManager.Infrastructure.Persistence;
using Microsoft.Extensions.DependencyInjection;

namespace LocalKeyManager.Infrastructure.IntegrationTests;

/// <summary>
/// How long a request's statement is waited for: until the request's deadline, but never less
/// than <see cref="DatabaseWork.MinWait"/>, so slow work before it does not fail a healthy database.
/// </summary>
public sealed class DatabaseWorkTests : IAsyncLifetime
{
    private TestServices _services = null!;

    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    public async ValueTask InitializeAsync() => _services = await TestServices.StartAsync();

    public async ValueTask DisposeAsync() => await _services.DisposeAsync();

    private DatabaseWork PastItsDeadline()
    {
        var work = new DatabaseWork(_services.Get<IServiceScopeFactory>());
        work.WaitAtMostUntil(Stopwatch.GetTimestamp() - Stopwatch.Frequency);
        return work;
    }

    [Fact]
    public async Task A_statement_after_the_deadline_still_gets_a_second_and_more()
    {
        // Like a keypair's insert after a key generation that took longer than the deadline.
        var answer = await PastItsDeadline().RunAsync(db =>
        {
            Thread.Sleep(TimeSpan.FromSeconds(1));
            return db.Keypairs.Count();
        }, Ct);

        answer.Should().Be(0);
    }

    [Fact]
    public async Task A_statement_that_does_not_answer_within_MinWait_is_given_up_on_and_runs_on()
    {
        using var release = new ManualResetEventSlim();
        var finished = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        var watch = Stopwatch.StartNew();

        await PastItsDeadline().Invoking(w => w.RunAsync(db =>
        {
            release.Wait(TimeSpan.FromSeconds(30));
            finished.SetResult();
            return 0;
        }, Ct)).Should().ThrowAsync<DatabaseTimeoutException>();

        watch.Elapsed.Should().BeGreaterThanOrEqualTo(DatabaseWork.MinWait - TimeSpan.FromMilliseconds(50)).And.BeLessThan(DatabaseWork.MinWait * 2);
        release.Set();
        await finished.Task.WaitAsync(TimeSpan.FromSeconds(10), Ct);
    }
}
