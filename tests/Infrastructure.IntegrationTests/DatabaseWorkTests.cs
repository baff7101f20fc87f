using System.Diagnostics;
using LocalKeyManager.Infrastructure.Persistence;
using Microsoft.Extensions.DependencyInjection;

namespace LocalKeyManager.Infrastructure.IntegrationTests;

/// <summary>
/// How long a request's statement is waited for: until the request's deadline, but never less
/// than <see cref="DatabaseWork.MinWait"/>, so slow work before it does not fail a healthy database
/// (unless the database has failed a request since: then only until the deadline).
/// </summary>
public sealed class DatabaseWorkTests : IAsyncLifetime
{
    private TestServices _services = null!;

    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    public async ValueTask InitializeAsync() => _services = await TestServices.StartAsync();

    public async ValueTask DisposeAsync() => await _services.DisposeAsync();

    private DatabaseWork PastItsDeadline()
    {
        var work = new DatabaseWork(_services.Get<IServiceScopeFactory>(), _services.Get<DatabaseOutage>());
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
    public async Task Past_the_deadline_a_statement_gets_no_grace_once_a_request_failed_on_the_database_since_the_request_began()
    {
        var outage = _services.Get<DatabaseOutage>();
        var work = PastItsDeadline();
        var reported = outage.Token;
        outage.Report();
        // The report cancels on the thread pool: wait until it has.
        for (var waited = Stopwatch.StartNew(); !reported.IsCancellationRequested && waited.Elapsed < TimeSpan.FromSeconds(10);)
        {
            await Task.Delay(10, Ct);
        }

        reported.IsCancellationRequested.Should().BeTrue();
        var watch = Stopwatch.StartNew();

        // The statement that would have been waited for (as in the test above) is given up at once:
        // the database is failing, and the request's answer is due.
        await work.Invoking(w => w.RunAsync(db =>
        {
            Thread.Sleep(TimeSpan.FromSeconds(1));
            return db.Keypairs.Count();
        }, Ct)).Should().ThrowAsync<DatabaseTimeoutException>();

        watch.Elapsed.Should().BeLessThan(TimeSpan.FromMilliseconds(900), "the statement takes a second; it was not waited for");
    }

    [Theory]
    [InlineData(-1000)]
    [InlineData(400)]
    public async Task A_statement_waited_for_past_the_deadline_is_given_up_when_a_request_fails_on_the_database_meanwhile(int deadlineInMs)
    {
        var outage = _services.Get<DatabaseOutage>();
        var work = new DatabaseWork(_services.Get<IServiceScopeFactory>(), outage);
        var watch = Stopwatch.StartNew();
        work.WaitAtMostUntil(Stopwatch.GetTimestamp() + deadlineInMs * Stopwatch.Frequency / 1000);

        // A healthy database would get MinWait (2 s) past the deadline; this statement takes 1.5 s.
        var statement = work.RunAsync(db =>
        {
            Thread.Sleep(TimeSpan.FromMilliseconds(1500));
            return db.Keypairs.Count();
        }, Ct);
        await Task.Delay(100, Ct);
        outage.Report();

        var givenUp = (await statement.Invoking(s => s).Should().ThrowAsync<DatabaseTimeoutException>()).Which;
        watch.Elapsed.Should().BeLessThan(TimeSpan.FromMilliseconds(1300), "given up when the report came, or at the deadline after it, not when the statement answered");
        watch.Elapsed.Should().BeGreaterThanOrEqualTo(TimeSpan.FromMilliseconds(Math.Max(100, deadlineInMs) - 20), "never before the deadline");

        // Not waited for long enough to tell whether the database fails: it reports nothing itself,
        // or every slow request begun before it would have its grace cut in turn.
        givenUp.FollowsAnotherFailure.Should().BeTrue();
        var current = outage.Token;
        outage.Observe(givenUp).Should().BeTrue("it is answered 503 as the database failing");
        await Task.Delay(200, Ct);
        current.IsCancellationRequested.Should().BeFalse("it did not report the database failing again");
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
        }, Ct)).Should().ThrowAsync<DatabaseTimeoutException>().Where(e => !e.FollowsAnotherFailure, "a statement that had its whole wait is evidence of a database failing");

        watch.Elapsed.Should().BeGreaterThanOrEqualTo(DatabaseWork.MinWait - TimeSpan.FromMilliseconds(50)).And.BeLessThan(DatabaseWork.MinWait * 2);
        release.Set();
        await finished.Task.WaitAsync(TimeSpan.FromSeconds(10), Ct);
    }
}
