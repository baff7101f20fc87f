using LocalKeyManager.Infrastructure.Crypto;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;

namespace LocalKeyManager.Infrastructure.Jobs;

/// <summary>
/// Every minute, drops parsed private keys unused for <see cref="Idle"/>
/// (<see cref="PrivateKeyCache.ForgetIdle"/>): a key disabled or destroyed through another
/// instance leaves no parsed copy here for longer than that. Re-parsing one costs about a
/// millisecond, once.
/// </summary>
public sealed class PrivateKeyCacheSweepJob(IServiceScopeFactory scopes, PrivateKeyCache cache, ILogger<PrivateKeyCacheSweepJob> logger)
    : PeriodicJob(scopes, TimeSpan.FromMinutes(1), logger)
{
    public static readonly TimeSpan Idle = TimeSpan.FromMinutes(5);

    protected override Task RunOnceAsync(IServiceProvider services, CancellationToken cancellationToken)
    {
        cache.ForgetIdle(Idle);
        return Task.CompletedTask;
    }
}
