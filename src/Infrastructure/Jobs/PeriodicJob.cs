using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;

namespace LocalKeyManager.Infrastructure.Jobs;

/// <summary>
/// A background job run every <paramref name="interval"/> in a scope of its own; a failed run is
/// logged and the next one tries again (a database blip must not end the job).
/// </summary>
public abstract partial class PeriodicJob(IServiceScopeFactory scopes, TimeSpan interval, ILogger logger) : BackgroundService
{
    /// <summary>Run once as soon as the service starts, not only after the first interval.</summary>
    protected virtual bool RunAtStart => false;

    protected abstract Task RunOnceAsync(IServiceProvider services, CancellationToken cancellationToken);

    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        try
        {
            if (RunAtStart)
            {
                await RunGuardedAsync(stoppingToken);
            }

            using var timer = new PeriodicTimer(interval);
            while (await timer.WaitForNextTickAsync(stoppingToken))
            {
                await RunGuardedAsync(stoppingToken);
            }
        }
        catch (OperationCanceledException) when (stoppingToken.IsCancellationRequested)
        {
            // Stopping is the normal end, also when the host stops because its start failed (a
            // port in use): the host would log a job that ended cancelled as a Critical failure.
        }
    }

    private async Task RunGuardedAsync(CancellationToken stoppingToken)
    {
        try
        {
            await using var scope = scopes.CreateAsyncScope();
            await RunOnceAsync(scope.ServiceProvider, stoppingToken);
        }
        catch (Exception e) when (e is not OperationCanceledException || !stoppingToken.IsCancellationRequested)
        {
            // Any failure, a timeout's cancellation included, except the cancellation of stopping:
            // an exception that left the job would stop the whole service (the host's default).
            LogFailed(logger, GetType().Name, e);
        }
    }

    [LoggerMessage(Level = LogLevel.Warning, Message = "{Job} failed; it runs again at its next interval")]
    private static partial void LogFailed(ILogger logger, string job, Exception exception);
}
