using LocalKeyManager.Domain.Audit;
using LocalKeyManager.Domain.Crypto;
using LocalKeyManager.Domain.Keys;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.Logging;
using NodaTime;

namespace LocalKeyManager.Infrastructure.Persistence.Repositories;

internal sealed partial class EfKeypairRepository(DatabaseWork database, IDatabaseDialect dialect, RecentReads<KeypairId, KeypairRow> recent, ILogger<EfKeypairRepository> logger) : IKeypairRepository
{
    /// <summary>How long a keypair read may be reused (disable must reach every instance within 5 s).</summary>
    public static readonly TimeSpan RecentLifetime = TimeSpan.FromSeconds(2);

    private const int Pending = (int)KeyState.PendingDestruction;

    public Task<bool> TryAddAsync(Keypair keypair, CancellationToken cancellationToken)
    {
        var row = new KeypairRow
        {
            Id = keypair.Id.Value,
            PublicKey = keypair.PublicKey,
            WrappedPrivateKey = keypair.PrivateKey?.Blob,
            KekId = keypair.PrivateKey?.KekId,
            CreatedAt = keypair.CreatedAt,
            State = (int)keypair.State,
            DestroyAt = keypair.DestroyAt,
        };
        return database.RunAsync(db => db.TryInsert(row, dialect), cancellationToken);
    }

    public async Task<Keypair?> FindAsync(KeypairId id, CancellationToken cancellationToken)
    {
        var row = await database.RunAsync(db => db.Keypairs.AsNoTracking().SingleOrDefault(k => k.Id == id.Value), cancellationToken);
        return row is null ? null : ToDomain(row);
    }

    public async Task<Keypair?> FindRecentAsync(KeypairId id, CancellationToken cancellationToken)
    {
        // Rows are cached, not entities: every caller gets its own Keypair to work with.
        var row = await recent.GetAsync(id, static (context, key) => context.Keypairs.AsNoTracking().SingleOrDefault(k => k.Id == key.Value), cancellationToken);
        return row is null ? null : ToDomain(row);
    }

    public async Task<IReadOnlyList<Keypair>> ListAsync(CancellationToken cancellationToken)
    {
        var rows = await database.RunAsync(db => db.Keypairs.AsNoTracking().OrderByDescending(k => k.CreatedAt).ThenByDescending(k => k.Id).ToList(), cancellationToken);
        return rows.Select(ToDomain).ToList();
    }

    public async Task<IReadOnlyList<PublicKeypair>> ListPublicAsync(CancellationToken cancellationToken)
    {
        var rows = await database.RunAsync(
            db => db.Keypairs.AsNoTracking()
                .OrderByDescending(k => k.CreatedAt).ThenByDescending(k => k.Id)
                .Select(k => new { k.Id, k.PublicKey, k.CreatedAt, k.State, k.DestroyAt })
                .ToList(),
            cancellationToken);
        return rows.Select(r => new PublicKeypair(new KeypairId(r.Id), r.PublicKey, r.CreatedAt, (KeyState)r.State, r.DestroyAt)).ToList();
    }

    public async Task<bool> TryUpdateLifecycleAsync(Keypair keypair, KeyState fromState, Instant? fromDestroyAt, CancellationToken cancellationToken)
    {
        try
        {
            // One conditional statement: the database decides whether the row is still as read.
            var updated = await database.RunAsync(
                db => db.Keypairs
                    .Where(k => k.Id == keypair.Id.Value && k.State == (int)fromState && k.DestroyAt == fromDestroyAt)
                    .ExecuteUpdate(s => s.SetProperty(k => k.State, (int)keypair.State)
                        .SetProperty(k => k.DestroyAt, keypair.DestroyAt)),
                cancellationToken);
            if (updated == 1)
            {
                return true;
            }

            // Already as asked: the same change made by someone else, or this one committed by an
            // attempt whose answer was lost (the execution strategy then retries): not a conflict.
            var now = await database.RunAsync(db => db.Keypairs.AsNoTracking().Where(k => k.Id == keypair.Id.Value).Select(k => new { k.State, k.DestroyAt }).SingleOrDefault(), cancellationToken);
            return now is not null && now.State == (int)keypair.State && SameMoment(now.DestroyAt, keypair.DestroyAt);
        }
        finally
        {
            // Also when the outcome is unknown: the next read goes to the database.
            recent.Forget(keypair.Id);
        }
    }

    /// <summary>Equal to the millisecond: PostgreSQL keeps microseconds of a time computed in 100 ns ticks.</summary>
    private static bool SameMoment(Instant? stored, Instant? asked) =>
        stored is null ? asked is null : asked is not null && Math.Abs((stored.Value - asked.Value).TotalMilliseconds) < 1;

    public async Task<bool> TryDestroyAsync(Keypair keypair, Instant due, RequestLogEntry record, CancellationToken cancellationToken)
    {
        if (keypair.State != KeyState.Destroyed)
        {
            throw new InvalidOperationException($"Keypair {keypair.Id} is {keypair.State}, not destroyed.");
        }

        try
        {
            var destroyed = await database.RunAsync(db => db.Database.CreateExecutionStrategy().Execute(() => Destroy(db, keypair.Id.Value, due, record)), cancellationToken);
            if (destroyed && !await FlushAsync(cancellationToken))
            {
                LogFlushDeferred(logger, keypair.Id.ToString());
            }

            return destroyed;
        }
        finally
        {
            recent.Forget(keypair.Id);
        }
    }

    /// <summary>Best effort, after the erase committed: a failure here must not read as a failed destruction.</summary>
    private async Task<bool> FlushAsync(CancellationToken cancellationToken)
    {
        try
        {
            return await database.RunAsync(db => dialect.FlushErasedContent(db), cancellationToken);
        }
        catch (Exception e) when (e is not OperationCanceledException)
        {
            return false;
        }
    }

    /// <summary>On <see cref="DatabaseWork"/>'s own thread, as the request-log purge: the erase and its record commit together.</summary>
    private bool Destroy(KeyManagerDbContext db, Guid id, Instant due, RequestLogEntry record)
    {
        using var transaction = db.Database.BeginTransaction();
        var erased = db.Keypairs
            .Where(k => k.Id == id && k.State == Pending && k.DestroyAt == due)
            .ExecuteUpdate(s => s.SetProperty(k => k.State, (int)KeyState.Destroyed)
                .SetProperty(k => k.DestroyAt, (Instant?)null)
                .SetProperty(k => k.WrappedPrivateKey, (byte[]?)null)
                .SetProperty(k => k.KekId, (string?)null));
        if (erased != 1)
        {
            return false;
        }

        // Kept to the log's precision, as every entry is: the chain hashes what the database stores.
        AuditChain.ChainAppender.AppendAsync(db, dialect, [record with { Timestamp = RequestLogEntry.ToLogPrecision(record.Timestamp) }], CancellationToken.None).GetAwaiter().GetResult();
        transaction.Commit();
        return true;
    }

    [LoggerMessage(Level = LogLevel.Warning, Message = "Keypair {KeypairId} is destroyed, but the database's log could not be truncated now (readers kept it busy, or it failed): until SQLite's next full checkpoint its write-ahead log may still hold the erased key, wrapped")]
    private static partial void LogFlushDeferred(ILogger logger, string keypairId);

    public async Task<IReadOnlyList<Keypair>> ListDueForDestructionAsync(Instant now, CancellationToken cancellationToken)
    {
        var rows = await database.RunAsync(db => db.Keypairs.AsNoTracking().Where(k => k.State == Pending && k.DestroyAt <= now).ToList(), cancellationToken);
        return rows.Select(ToDomain).ToList();
    }

    private static Keypair ToDomain(KeypairRow row) =>
        Keypair.Restore(
            new KeypairId(row.Id),
            row.PublicKey,
            row.WrappedPrivateKey is null || row.KekId is null ? null : new WrappedKey(row.KekId, row.WrappedPrivateKey),
            row.CreatedAt,
            (KeyState)row.State,
            row.DestroyAt);
}
