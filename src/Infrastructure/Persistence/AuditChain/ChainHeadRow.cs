namespace LocalKeyManager.Infrastructure.Persistence.AuditChain;

/// <summary>
/// The <c>request_log_chain</c> table: one row, the newest entry's sequence number and hash.
/// Appenders lock it, so entries written by several instances form one chain, never a fork.
/// </summary>
public sealed class ChainHeadRow
{
    public const int SingletonId = 1;

    public int Id { get; set; } = SingletonId;

    public long Seq { get; set; }

    public required byte[] Hash { get; set; }
}
