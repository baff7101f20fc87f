using LocalKeyManager.Domain.Credentials;
using LocalKeyManager.Infrastructure.Persistence.GroupCommit;
using Microsoft.EntityFrameworkCore;
using NodaTime;

namespace LocalKeyManager.Infrastructure.Persistence.Repositories;

/// <summary>
/// Replay protection by the database's primary key on (credential, nonce, ts): of any number of
/// instances inserting the same triple at once, exactly one inserts it. Inserts go through the
/// group commit, together with the request log.
/// </summary>
internal sealed class EfReplayGuard(KeyManagerDbContext db, GroupCommitWriter writer) : IReplayGuard
{
    public Task<bool> TryRecordAsync(string credentialId, string nonce, long timestamp, Instant now, CancellationToken cancellationToken) =>
        writer.RecordNonceAsync(new NonceRow { CredentialId = credentialId, Nonce = nonce, Ts = timestamp, SeenAt = now }, cancellationToken);

    public Task<int> ForgetBeforeAsync(Instant cutoff, CancellationToken cancellationToken) =>
        db.Nonces.Where(n => n.SeenAt < cutoff).ExecuteDeleteAsync(cancellationToken);
}
