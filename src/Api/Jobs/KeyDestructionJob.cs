using LocalKeyManager.Application.Keys.DestroyDueKeypairs;
using Mediator;

namespace LocalKeyManager.Api.Jobs;

/// <summary>
/// Once a minute, erases the private material of keypairs whose destruction waiting period is
/// over. Every instance runs it; the update is idempotent, so two doing it at once is harmless.
/// </summary>
public sealed partial class KeyDestructionJob(IServiceScopeFactory scopes, ILogger<KeyDestructionJob> logger) : BackgroundService
{
    private static readonly TimeSpan Interval = TimeSpan.FromMinutes(1);

    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        using var timer = new PeriodicTimer(Interval);
        while (await timer.WaitForNextTickAsync(stoppingToken))
        {
            try
            {
                await using var scope = scopes.CreateAsyncScope();
                var destroyed = await scope.ServiceProvider.GetRequiredService<ISender>().Send(new DestroyDueKeypairs(), stoppingToken);
                if (destroyed > 0)
                {
                    LogDestroyed(logger, destroyed);
                }
            }
            catch (Exception e) when (e is not OperationCanceledException)
            {
                LogFailed(logger, e);
            }
        }
    }

    [LoggerMessage(Level = LogLevel.Warning, Message = "Destroyed the private material of {Count} keypair(s) whose waiting period ended")]
    private static partial void LogDestroyed(ILogger logger, int count);

    [LoggerMessage(Level = LogLevel.Warning, Message = "Destroying due keypairs failed; will try again")]
    private static partial void LogFailed(ILogger logger, Exception exception);
}
