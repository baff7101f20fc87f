using LocalKeyManager.Domain.Audit;
using Microsoft.EntityFrameworkCore;

namespace LocalKeyManager.Infrastructure.Persistence.AuditChain;

/// <summary>
/// Appends entries to the request-log chain inside the caller's transaction: locks the chain
/// head (so concurrent instances serialise here), links each entry to the previous one, and
/// moves the head. The caller saves and commits.
/// </summary>
internal static class ChainAppender
{
    public static async Task AppendAsync(KeyManagerDbContext db, IDatabaseDialect dialect, IReadOnlyList<RequestLogEntry> entries, CancellationToken cancellationToken)
    {
        // Not composed with LINQ operators: the locking clause must stay at the top level.
        var head = (await db.ChainHead.FromSqlRaw(dialect.LockChainHeadSql).AsTracking().ToListAsync(cancellationToken)).SingleOrDefault()
            ?? throw new InvalidOperationException("The request-log chain head is missing: the schema was not created by the migrations.");

        var linked = LinkedEntry.After(head, entries);
        foreach (var link in linked)
        {
            var tracked = db.RequestLog.Add(link.Entry);
            tracked.Property<long>(RequestLogChainColumns.Seq).CurrentValue = link.Seq;
            tracked.Property<byte[]>(RequestLogChainColumns.PrevHash).CurrentValue = link.PrevHash;
            tracked.Property<byte[]>(RequestLogChainColumns.Hash).CurrentValue = link.Hash;
        }

        var (seq, hash) = linked.Count == 0 ? (head.Seq, head.Hash) : (linked[^1].Seq, linked[^1].Hash);
        head.Seq = seq;
        head.Hash = hash;
    }
}
