namespace LocalKeyManager.Infrastructure.Persistence.AuditChain;

/// <summary>The chain's columns on <c>request_log</c>: persistence-only (shadow) properties of an entry.</summary>
public static class RequestLogChainColumns
{
    public const string Seq = "Seq";
    public const string PrevHash = "PrevHash";
    public const string Hash = "Hash";
}
