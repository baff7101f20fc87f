using LocalKeyManager.Domain.Credentials;
using LocalKeyManager.Domain.Crypto;
using Microsoft.EntityFrameworkCore;

namespace LocalKeyManager.Infrastructure.Persistence.Repositories;

internal sealed class EfCredentialRepository(DatabaseWork database, IDatabaseDialect dialect, RecentReads<string, CredentialRow> recent) : ICredentialRepository
{
    /// <summary>How long a credential read may be reused (a revocation must reach every instance within 1 s).</summary>
    public static readonly TimeSpan RecentLifetime = TimeSpan.FromMilliseconds(500);

    public async Task<bool> TryAddAsync(HawkCredential credential, CancellationToken cancellationToken)
    {
        var row = new CredentialRow
        {
            Id = credential.Id,
            Role = (int)credential.Role,
            Algorithm = (int)credential.Algorithm,
            WrappedKey = credential.Key.Blob,
            KekId = credential.Key.KekId,
            CreatedAt = credential.CreatedAt,
            RevokedAt = credential.RevokedAt,
        };
        try
        {
            return await database.RunAsync(db => db.TryInsert(row, dialect), cancellationToken);
        }
        finally
        {
            // A read of the id under way may have found it absent: the next one goes to the database.
            recent.Forget(credential.Id);
        }
    }

    public async Task<HawkCredential?> FindAsync(string id, CancellationToken cancellationToken)
    {
        var row = await database.RunAsync(db => db.Credentials.AsNoTracking().SingleOrDefault(c => c.Id == id), cancellationToken);
        return row is null ? null : ToDomain(row);
    }

    public async Task<HawkCredential?> FindRecentAsync(string id, CancellationToken cancellationToken)
    {
        var row = await recent.GetAsync(id, static (context, key) => context.Credentials.AsNoTracking().SingleOrDefault(c => c.Id == key), cancellationToken);
        return row is null ? null : ToDomain(row);
    }

    public async Task<IReadOnlyList<HawkCredential>> ListAsync(CancellationToken cancellationToken)
    {
        var rows = await database.RunAsync(db => db.Credentials.AsNoTracking().OrderBy(c => c.CreatedAt).ThenBy(c => c.Id).ToList(), cancellationToken);
        return rows.Select(ToDomain).ToList();
    }

    public async Task SaveRevocationAsync(HawkCredential credential, CancellationToken cancellationToken)
    {
        // Only ever sets the time once: a revocation is not undone by a concurrent one.
        try
        {
            await database.RunAsync(
                db => db.Credentials
                    .Where(c => c.Id == credential.Id && c.RevokedAt == null)
                    .ExecuteUpdate(s => s.SetProperty(c => c.RevokedAt, credential.RevokedAt)),
                cancellationToken);
        }
        finally
        {
            // Also when the outcome is unknown: the next read goes to the database.
            recent.Forget(credential.Id);
        }
    }

    private static HawkCredential ToDomain(CredentialRow row) =>
        HawkCredential.Restore(row.Id, (CredentialRole)row.Role, (HawkAlgorithm)row.Algorithm, new WrappedKey(row.KekId, row.WrappedKey), row.CreatedAt, row.RevokedAt);
}
