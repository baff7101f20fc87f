using LocalKeyManager.Domain.Audit;

namespace LocalKeyManager.Infrastructure.Persistence.AuditChain;

/// <summary>An entry with its place in the chain: sequence number, the previous hash and its own.</summary>
public sealed record LinkedEntry(RequestLogEntry Entry, long Seq, byte[] PrevHash, byte[] Hash)
{
    /// <summary>Links <paramref name="entries"/> after <paramref name="head"/>, in order.</summary>
    public static List<LinkedEntry> After(ChainHeadRow head, IEnumerable<RequestLogEntry> entries)
    {
        var linked = new List<LinkedEntry>();
        var (seq, hash) = (head.Seq, head.Hash);
        foreach (var entry in entries)
        {
            seq++;
            var next = ChainHashing.Hash(hash, seq, entry);
            linked.Add(new LinkedEntry(entry, seq, hash, next));
            hash = next;
        }

        return linked;
    }
}
