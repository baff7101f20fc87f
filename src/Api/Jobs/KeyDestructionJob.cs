using LocalKeyManager.Application.Keys.DestroyDueKeypairs;
using LocalKeyManager.Infrastructure.Jobs;
using Mediator;

namespace LocalKeyManager.Api.Jobs;

/// <summary>
/// Once a minute, erases the private material of keypairs whose destruction waiting period is
/// over. Every instance runs it; the update is idempotent, so two doing it at once is harmless.
/// </summary>
public sealed partial class KeyDestructionJob(IServiceScopeFactory scopes, ILogger<KeyDestructionJob> logger)
    : PeriodicJob(scopes, TimeSpan.FromMinutes(1), logger)
{
    protected override async Task RunOnceAsync(IServiceProvider services, CancellationToken cancellationToken)
    {
        var destroyed = await services.GetRequiredService<ISender>().Send(new DestroyDueKeypairs(), cancellationToken);
        if (destroyed > 0)
        {
            LogDestroyed(logger, destroyed);
        }
    }

    [LoggerMessage(Level = LogLevel.Warning, Message = "Destroyed the private material of {Count} keypair(s) whose waiting period ended")]
    private static partial void LogDestroyed(ILogger logger, int count);
}
