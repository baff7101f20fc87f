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
        foreach (var id in await services.GetRequiredService<ISender>().Send(new DestroyDueKeypairs(), cancellationToken))
        {
            LogDestroyed(logger, id.ToString());
        }
    }

    [LoggerMessage(Level = LogLevel.Warning, Message = "Destroyed the private key of keypair {KeypairId}: its waiting period ended (recorded in the request log)")]
    private static partial void LogDestroyed(ILogger logger, string keypairId);
}
