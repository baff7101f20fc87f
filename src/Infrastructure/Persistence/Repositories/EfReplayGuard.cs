using LocalKeyManager.Domain.Credentials;
using Microsoft.EntityFrameworkCore;
using NodaTime;

namespace LocalKeyManager.Infrastructure.Persistence.Repositories;

/// <summary>Replay protection by the database's primary key on (credential, nonce, ts).</summary>
internal sealed class EfReplayGuard(KeyManagerDbContext db, IDatabaseDialect dialect) : IReplayGuard
{
    public async Task<bool> TryRecordAsync(string credentialId, string nonce, long timestamp, Instant now, CancellationToken cancellationToken)
    {
        db.Nonces.Add(new NonceRow { CredentialId = credentialId, Nonce = nonce, Ts = timestamp, SeenAt = now });
        try
        {
            await db.SaveChangesAsync(cancellationToken);
            return true;
        }
        catch (DbUpdateException e) when (dialect.IsUniqueViolation(e))
        {
            return false;
        }
        finally
        {
            db.ChangeTracker.Clear();
        }
    }

    public Task<int> ForgetBeforeAsync(Instant cutoff, CancellationToken cancellationToken) =>
        db.Nonces.Where(n => n.SeenAt < cutoff).ExecuteDeleteAsync(cancellationToken);
}
