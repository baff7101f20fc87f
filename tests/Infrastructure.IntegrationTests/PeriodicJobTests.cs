using LocalKeyManager.Infrastructure.Jobs;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging.Abstractions;

namespace LocalKeyManager.Infrastructure.IntegrationTests;

public sealed class PeriodicJobTests
{
    [Fact]
    public async Task A_run_that_fails_with_a_cancellation_of_its_own_is_retried_and_the_job_goes_on()
    {
        using var services = new ServiceCollection().BuildServiceProvider();
        using var job = new FailingJob(services.GetRequiredService<IServiceScopeFactory>(), failures: 2);

        await job.StartAsync(TestContext.Current.CancellationToken);
        var ran = await job.FirstSuccess.Task.WaitAsync(TimeSpan.FromSeconds(10), TestContext.Current.CancellationToken);
        await job.StopAsync(TestContext.Current.CancellationToken);

        ran.Should().BeTrue();
        job.ExecuteTask!.IsCompletedSuccessfully.Should().BeTrue();
    }

    [Fact]
    public async Task Stopping_ends_the_job_normally_not_as_a_cancelled_task_the_host_logs_as_critical()
    {
        using var services = new ServiceCollection().BuildServiceProvider();
        using var job = new FailingJob(services.GetRequiredService<IServiceScopeFactory>(), failures: 0, interval: TimeSpan.FromHours(1), runAtStart: true);

        await job.StartAsync(TestContext.Current.CancellationToken);
        // Running, and now waiting for its next interval, as when a failed start stops the host.
        await job.FirstSuccess.Task.WaitAsync(TimeSpan.FromSeconds(10), TestContext.Current.CancellationToken);
        await job.StopAsync(TestContext.Current.CancellationToken);

        job.ExecuteTask!.Status.Should().Be(TaskStatus.RanToCompletion);
    }

    private sealed class FailingJob(IServiceScopeFactory scopes, int failures, TimeSpan? interval = null, bool runAtStart = false)
        : PeriodicJob(scopes, interval ?? TimeSpan.FromMilliseconds(20), NullLogger.Instance)
    {
        private int _runs;

        protected override bool RunAtStart => runAtStart;

        public TaskCompletionSource<bool> FirstSuccess { get; } = new(TaskCreationOptions.RunContinuationsAsynchronously);

        protected override Task RunOnceAsync(IServiceProvider services, CancellationToken cancellationToken)
        {
            var run = Interlocked.Increment(ref _runs);
            if (run <= failures)
            {
                // As a statement timeout surfaces: cancelled, but not by the host stopping.
                throw new OperationCanceledException("a statement timed out");
            }

            if (run == failures + 1)
            {
                FirstSuccess.TrySetResult(true);
            }

            return Task.CompletedTask;
        }
    }
}
