using LocalKeyManager.Infrastructure.Persistence;

namespace LocalKeyManager.Infrastructure.IntegrationTests;

/// <summary>
/// The threads database work runs on: an idle one is reused, one that is blocked never delays
/// other work, and idle ones end.
/// </summary>
public sealed class DatabaseThreadsTests
{
    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    private static Task<int> RunAsync(DatabaseThreads threads, Func<int> work)
    {
        var done = new TaskCompletionSource<int>(TaskCreationOptions.RunContinuationsAsynchronously);
        threads.Run(() => done.SetResult(work()));
        return done.Task;
    }

    [Fact]
    public async Task Work_after_work_reuses_the_idle_thread()
    {
        var threads = new DatabaseThreads(TimeSpan.FromSeconds(30));
        var first = await RunAsync(threads, () => Environment.CurrentManagedThreadId);
        SpinWait.SpinUntil(() => threads.IdleCount == 1, TimeSpan.FromSeconds(10)).Should().BeTrue();

        var second = await RunAsync(threads, () => Environment.CurrentManagedThreadId);

        second.Should().Be(first);
        first.Should().NotBe(Environment.CurrentManagedThreadId);
    }

    [Fact]
    public async Task Work_never_waits_behind_a_thread_that_is_blocked()
    {
        var threads = new DatabaseThreads(TimeSpan.FromSeconds(30));
        using var release = new ManualResetEventSlim();
        var blocked = RunAsync(threads, () =>
        {
            release.Wait(TimeSpan.FromSeconds(30));
            return Environment.CurrentManagedThreadId;
        });

        // Five more pieces of work, one after the other, while the first thread is held.
        var ran = new List<int>();
        for (var i = 0; i < 5; i++)
        {
            ran.Add(await RunAsync(threads, () => Environment.CurrentManagedThreadId).WaitAsync(TimeSpan.FromSeconds(5), Ct));
            SpinWait.SpinUntil(() => threads.IdleCount == 1, TimeSpan.FromSeconds(10)).Should().BeTrue();
        }

        blocked.IsCompleted.Should().BeFalse();
        release.Set();
        ran.Should().NotContain(await blocked);
        ran.Distinct().Should().ContainSingle("one more thread did them all, idle between them");
    }

    [Fact]
    public async Task A_thread_idle_for_its_time_ends()
    {
        var threads = new DatabaseThreads(TimeSpan.FromMilliseconds(200));
        (await RunAsync(threads, () => 1)).Should().Be(1);
        SpinWait.SpinUntil(() => threads.IdleCount == 1, TimeSpan.FromSeconds(10)).Should().BeTrue();

        SpinWait.SpinUntil(() => threads.IdleCount == 0, TimeSpan.FromSeconds(10)).Should().BeTrue();
        (await RunAsync(threads, () => 2).WaitAsync(TimeSpan.FromSeconds(5), Ct)).Should().Be(2, "a new thread takes work after the idle one ended");
    }
}
