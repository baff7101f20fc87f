using LocalKeyManager.Domain.Credentials;
using LocalKeyManager.Infrastructure.Hawk;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;
using NodaTime;

namespace LocalKeyManager.Infrastructure.Persistence;

/// <summary>
/// Forgets replay records once their timestamps are outside the window: a request that old is
/// refused as stale before its nonce is looked at, so the record no longer protects anything.
/// </summary>
public sealed partial class NonceCleanupService(IServiceScopeFactory scopes, IClock clock, IOptions<HawkOptions> hawk, ILogger<NonceCleanupService> logger)
    : BackgroundService
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
                var guard = scope.ServiceProvider.GetRequiredService<IReplayGuard>();
                var cutoff = clock.GetCurrentInstant() - Duration.FromSeconds(2 * hawk.Value.TimestampSkewSeconds + 60);
                await guard.ForgetBeforeAsync(cutoff, stoppingToken);
            }
            catch (Exception e) when (e is not OperationCanceledException)
            {
                LogCleanupFailed(logger, e);
            }
        }
    }

    [LoggerMessage(Level = LogLevel.Warning, Message = "Forgetting old Hawk nonces failed; will try again")]
    private static partial void LogCleanupFailed(ILogger logger, Exception exception);
}
