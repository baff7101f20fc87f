using LocalKeyManager.Domain.Audit;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.DependencyInjection;

namespace LocalKeyManager.Infrastructure.Persistence.AuditChain;

/// <summary>What <c>audit verify</c> found: how far the chain holds, and the first broken link if any.</summary>
public sealed record ChainReport(long Entries, long? FirstSeq, long? LastSeq, long? BrokenAtSeq, string? Problem)
{
    public bool Intact => Problem is null;
}

/// <summary>
/// Walks the request log in chain order and recomputes every link. The oldest remaining entry is
/// the anchor: it is entry 1, or the entry the newest purge's record says the purge kept first
/// (<see cref="PurgeNote"/>), so entries deleted from the start without a purge are found too.
/// From there each entry must name the previous entry's hash and hash to its stored value, the
/// sequence numbers must have no gap, and the last entry must be the chain head.
/// </summary>
public sealed class ChainVerifier(IServiceScopeFactory scopes)
{
    private const int Page = 1000;

    public async Task<ChainReport> VerifyAsync(CancellationToken cancellationToken)
    {
        await using var scope = scopes.CreateAsyncScope();
        var db = scope.ServiceProvider.GetRequiredService<KeyManagerDbContext>();
        var dialect = scope.ServiceProvider.GetRequiredService<IDatabaseDialect>().Name;
        return await db.Database.CreateExecutionStrategy().ExecuteAsync(
            async ct =>
            {
                // One snapshot for every page and the head, so that a running service's appends and
                // purges meanwhile are not taken for entries missing or removed (PostgreSQL: repeatable
                // read; SQLite: a read transaction, which never blocks its writer). SQL Server reads each
                // statement as committed (a snapshot there needs the database's snapshot isolation on):
                // run it against a quiet database, or again when it reports a break at the head or start.
                await using var snapshot = await SnapshotAsync(db, dialect, ct);
                return await WalkAsync(db, ct);
            },
            cancellationToken);
    }

    private static async Task<ChainReport> WalkAsync(KeyManagerDbContext db, CancellationToken cancellationToken)
    {
        long count = 0;
        long? first = null;
        long last = 0;
        byte[]? previous = null;
        (long Seq, long HeadBefore, long? FirstKept)? newestPurge = null;
        while (true)
        {
            var after = last;
            var rows = await db.RequestLog.AsNoTracking()
                .Where(e => EF.Property<long>(e, RequestLogChainColumns.Seq) > after)
                .OrderBy(e => EF.Property<long>(e, RequestLogChainColumns.Seq))
                .Take(Page)
                .Select(e => new
                {
                    Entry = e,
                    Seq = EF.Property<long>(e, RequestLogChainColumns.Seq),
                    Prev = EF.Property<byte[]>(e, RequestLogChainColumns.PrevHash),
                    Hash = EF.Property<byte[]>(e, RequestLogChainColumns.Hash),
                })
                .ToListAsync(cancellationToken);
            if (rows.Count == 0)
            {
                break;
            }

            foreach (var row in rows)
            {
                first ??= row.Seq;
                if (previous is not null && (row.Seq != last + 1 || !row.Prev.AsSpan().SequenceEqual(previous)))
                {
                    return Broken(count, first, last, row.Seq, row.Seq != last + 1
                        ? $"entries {last + 1}..{row.Seq - 1} are missing"
                        : $"entry {row.Seq} does not follow entry {last}");
                }

                if (!ChainHashing.Hash(row.Prev, row.Seq, row.Entry).AsSpan().SequenceEqual(row.Hash))
                {
                    return Broken(count, first, last, row.Seq, $"entry {row.Seq} (id {row.Entry.Id}) was altered: its content does not match its hash");
                }

                if (PurgeNote.TryRead(row.Entry.Detail, out var headBefore, out var firstKept))
                {
                    newestPurge = (row.Seq, headBefore, firstKept);
                }

                previous = row.Hash;
                last = row.Seq;
                count++;
            }
        }

        var head = await db.ChainHead.AsNoTracking().SingleAsync(cancellationToken);
        if (head.Seq != last || (previous is not null && !head.Hash.AsSpan().SequenceEqual(previous)))
        {
            return Broken(count, first, last, last + 1, $"the chain head is at entry {head.Seq} but the newest entry is {last}: entries were removed from the end");
        }

        if (first is > 1 and var anchor && StartProblem(anchor, newestPurge) is { } problem)
        {
            return Broken(count, first, last, newestPurge?.FirstKept is { } kept && kept < anchor ? kept : 1, problem);
        }

        return new ChainReport(count, first, count == 0 ? null : last, null, null);
    }

    /// <summary>Why a log that starts at <paramref name="anchor"/> (past entry 1) was not left so by a purge; null when it was.</summary>
    private static string? StartProblem(long anchor, (long Seq, long HeadBefore, long? FirstKept)? newestPurge) => newestPurge switch
    {
        null => $"entries 1..{anchor - 1} are missing: the log starts at entry {anchor} and no purge record says they were purged",
        { FirstKept: { } kept } when kept == anchor => null,
        { FirstKept: { } kept } when kept < anchor => $"entries {kept}..{anchor - 1} are missing: the newest purge (entry {newestPurge.Value.Seq}) deleted only the entries before entry {kept}",
        { FirstKept: { } kept } => $"the log starts at entry {anchor}, but the newest purge (entry {newestPurge.Value.Seq}) deleted every entry before entry {kept}",
        // Recorded before 2026-12-03, a purge went by time and says only how far the chain went.
        { HeadBefore: var head } when anchor <= head + 1 => null,
        { HeadBefore: var head } => $"entries {head + 1}..{anchor - 1} are missing: the newest purge (entry {newestPurge.Value.Seq}) came when the chain went up to entry {head}",
    };

    private static async Task<Snapshot> SnapshotAsync(KeyManagerDbContext db, string dialect, CancellationToken cancellationToken)
    {
        switch (dialect)
        {
            case "Postgres":
                return new(await db.Database.BeginTransactionAsync(System.Data.IsolationLevel.RepeatableRead, cancellationToken), null);
            case "Sqlite":
                // Deferred: its snapshot begins at the first read and it takes no write lock
                // (Microsoft.Data.Sqlite's default, BEGIN IMMEDIATE, would hold the service's writes back).
                await db.Database.OpenConnectionAsync(cancellationToken);
                var own = ((Microsoft.Data.Sqlite.SqliteConnection)db.Database.GetDbConnection()).BeginTransaction(deferred: true);
                return new(await db.Database.UseTransactionAsync(own, cancellationToken), own);
            default:
                return new(null, null);
        }
    }

    /// <summary>The read transaction of a verification, and the connection's own one where EF Core was only lent it.</summary>
    private sealed class Snapshot(Microsoft.EntityFrameworkCore.Storage.IDbContextTransaction? transaction, System.Data.Common.DbTransaction? own) : IAsyncDisposable
    {
        public async ValueTask DisposeAsync()
        {
            if (transaction is not null)
            {
                await transaction.DisposeAsync();
            }

            if (own is not null)
            {
                await own.DisposeAsync();
            }
        }
    }

    private static ChainReport Broken(long count, long? first, long last, long at, string problem) =>
        new(count, first, count == 0 ? null : last, at, problem);
}
