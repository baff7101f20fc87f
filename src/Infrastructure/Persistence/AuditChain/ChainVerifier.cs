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
/// the anchor (older ones may have been purged; a purge leaves a checkpoint entry saying so);
/// from there each entry must name the previous entry's hash and hash to its stored value, the
/// sequence numbers must have no gap, and the last entry must be the chain head.
/// </summary>
public sealed class ChainVerifier(IServiceScopeFactory scopes)
{
    private const int Page = 1000;

    public async Task<ChainReport> VerifyAsync(CancellationToken cancellationToken)
    {
        await using var scope = scopes.CreateAsyncScope();
        var db = scope.ServiceProvider.GetRequiredService<KeyManagerDbContext>();
        long count = 0;
        long? first = null;
        long last = 0;
        byte[]? previous = null;
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

        return new ChainReport(count, first, count == 0 ? null : last, null, null);
    }

    private static ChainReport Broken(long count, long? first, long last, long at, string problem) =>
        new(count, first, count == 0 ? null : last, at, problem);
}
