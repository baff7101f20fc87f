using LocalKeyManager.Application.Audit.GetRequestLog;
using LocalKeyManager.Domain.Audit;
using LocalKeyManager.Domain.Crypto;
using LocalKeyManager.Domain.Keys;
using Mediator;
using NodaTime;

namespace LocalKeyManager.Application.Keys.DestroyDueKeypairs;

/// <summary>
/// Erases the private material of keypairs whose destruction waiting period is over, and records
/// each destruction in the request log (credential <c>system</c>, method <c>DESTROY</c>, the
/// keypair's id) in the same transaction; returns the ids it destroyed. Run by every instance:
/// only the one whose update finds the row still pending destroys and records it.
/// </summary>
public sealed record DestroyDueKeypairs : ICommand<IReadOnlyList<KeypairId>>;

public sealed class DestroyDueKeypairsHandler(IKeypairRepository keypairs, IRsaEngine rsa, IClock clock)
    : ICommandHandler<DestroyDueKeypairs, IReadOnlyList<KeypairId>>
{
    public const string Method = "DESTROY";

    public async ValueTask<IReadOnlyList<KeypairId>> Handle(DestroyDueKeypairs command, CancellationToken cancellationToken)
    {
        var now = clock.GetCurrentInstant();
        var destroyed = new List<KeypairId>();
        foreach (var keypair in await keypairs.ListDueForDestructionAsync(now, cancellationToken))
        {
            var due = keypair.DestroyAt!.Value;
            if (!keypair.DestroyIfDue(now))
            {
                continue;
            }

            // Whoever erases the row, this instance keeps no parsed copy of the key.
            rsa.Forget(keypair.Id);
            var at = RequestLogEntry.ToLogPrecision(clock.GetCurrentInstant());
            var record = new RequestLogEntry
            {
                Id = Guid.CreateVersion7(at.ToDateTimeOffset()),
                Timestamp = at,
                CredentialId = RequestLogEntry.SystemCredentialId,
                UserId = RequestLogEntry.NoUserId,
                RequestMethod = Method,
                RequestUri = "destruction",
                Status = 200,
                KeypairId = keypair.Id.ToString(),
                DurationMs = 0,
                Detail = $"erased the private key of keypair {keypair.Id}: its destruction waiting period ended at {IsoInstant.ToIsoString(due)}",
            };
            if (await keypairs.TryDestroyAsync(keypair, due, record, cancellationToken))
            {
                destroyed.Add(keypair.Id);
            }
        }

        return destroyed;
    }
}
