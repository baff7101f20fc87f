using LocalKeyManager.Domain.Credentials;
using LocalKeyManager.Infrastructure.Hawk;
using LocalKeyManager.Infrastructure.Jobs;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;
using NodaTime;

namespace LocalKeyManager.Infrastructure.Persistence;

/// <summary>
/// Forgets replay records once their timestamps are outside the window: a request that old is
/// refused as stale before its nonce is looked at, so the record no longer protects anything.
/// Every few seconds, a few seconds' records at a time, in small batches
/// (<see cref="Repositories.EfReplayGuard.ForgetBeforeAsync"/>): once a minute, a minute's records
/// kept the database busy long enough to hold up every request's commit for up to a third of a
/// second under load.
/// </summary>
public sealed class NonceCleanupService(IServiceScopeFactory scopes, IClock clock, IOptions<HawkOptions> hawk, ILogger<NonceCleanupService> logger)
    : PeriodicJob(scopes, TimeSpan.FromSeconds(5), logger)
{
    protected override Task RunOnceAsync(IServiceProvider services, CancellationToken cancellationToken)
    {
        var cutoff = clock.GetCurrentInstant() - Duration.FromSeconds(2 * hawk.Value.TimestampSkewSeconds + 60);
        return services.GetRequiredService<IReplayGuard>().ForgetBeforeAsync(cutoff, cancellationToken);
    }
}
