using FluentAssertions;
using LocalKeyManager.Infrastructure.Crypto;

namespace LocalKeyManager.Infrastructure.IntegrationTests;

public sealed class RsaWorkersTests
{
    private static readonly TimeSpan Patience = TimeSpan.FromSeconds(10);

    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    [Fact]
    public async Task Work_runs_on_the_workers_own_threads()
    {
        using var workers = new RsaWorkers(2);

        var name = await workers.RunAsync(0, _ => Thread.CurrentThread.Name, Ct);

        name.Should().StartWith("lkm-rsa-");
        Thread.CurrentThread.Name.Should().NotBe(name);
    }

    [Fact]
    public async Task No_more_work_runs_at_once_than_there_are_threads_and_it_starts_in_order()
    {
        using var workers = new RsaWorkers(2);
        using var gate = new ManualResetEventSlim();
        using var twoRunning = new CountdownEvent(2);
        var started = new List<int>();

        var tasks = Enumerable.Range(0, 5).Select(i => workers.RunAsync(i, n =>
        {
            lock (started)
            {
                started.Add(n);
            }

            if (n < 2)
            {
                twoRunning.Signal();
                gate.Wait(Patience);
            }

            return n;
        }, Ct)).ToArray();

        twoRunning.Wait(Patience, Ct).Should().BeTrue("both threads take the first two items");
        await Task.Delay(200, Ct);
        lock (started)
        {
            started.Should().BeEquivalentTo([0, 1], "the third item waits for a free thread");
        }

        gate.Set();
        (await Task.WhenAll(tasks)).Should().Equal(0, 1, 2, 3, 4);
        started.Skip(2).Should().Equal(2, 3, 4);
    }

    [Fact]
    public async Task It_is_backlogged_while_every_thread_has_another_item_waiting_behind_its_own()
    {
        using var workers = new RsaWorkers(2);
        using var gate = new ManualResetEventSlim();
        using var twoRunning = new CountdownEvent(2);
        var running = Enumerable.Range(0, 2).Select(i => workers.RunAsync(i, n =>
        {
            twoRunning.Signal();
            gate.Wait(Patience);
            return n;
        }, Ct)).ToArray();
        twoRunning.Wait(Patience, Ct).Should().BeTrue();
        workers.IsBacklogged.Should().BeFalse("both threads are busy but nothing waits");

        var waiting = new[] { workers.RunAsync(2, n => n, Ct) };
        workers.IsBacklogged.Should().BeFalse("one thread has nothing behind its item");
        waiting = [.. waiting, workers.RunAsync(3, n => n, Ct)];
        workers.IsBacklogged.Should().BeTrue();

        gate.Set();
        (await Task.WhenAll(running.Concat(waiting))).Should().Equal(0, 1, 2, 3);
        workers.IsBacklogged.Should().BeFalse();
    }

    [Fact]
    public async Task Work_whose_caller_stopped_waiting_before_it_started_is_not_run()
    {
        using var workers = new RsaWorkers(1);
        using var gate = new ManualResetEventSlim();
        using var caller = new CancellationTokenSource();
        var ran = false;

        var blocker = workers.RunAsync(0, _ => gate.Wait(Patience), Ct);
        var abandoned = workers.RunAsync(0, _ => ran = true, caller.Token);
        await caller.CancelAsync();
        gate.Set();

        (await blocker).Should().BeTrue();
        var act = () => abandoned;
        await act.Should().ThrowAsync<OperationCanceledException>();
        ran.Should().BeFalse();
    }

    [Fact]
    public async Task A_failure_reaches_its_caller_and_the_worker_goes_on()
    {
        using var workers = new RsaWorkers(1);

        var failing = () => workers.RunAsync<int, int>(0, _ => throw new InvalidOperationException("boom"), Ct);

        await failing.Should().ThrowAsync<InvalidOperationException>().WithMessage("boom");
        (await workers.RunAsync(41, n => n + 1, Ct)).Should().Be(42);
    }

    [Fact]
    public async Task After_dispose_queued_work_still_completes_and_new_work_is_refused()
    {
        var workers = new RsaWorkers(1);
        using var gate = new ManualResetEventSlim();
        var blocker = workers.RunAsync(0, _ => gate.Wait(Patience), Ct);
        var queued = workers.RunAsync(7, n => n * 6, Ct);

        workers.Dispose();
        Action late = () => workers.RunAsync(0, n => n, Ct);
        gate.Set();

        late.Should().Throw<ObjectDisposedException>();
        (await blocker).Should().BeTrue();
        (await queued).Should().Be(42);
    }
}
