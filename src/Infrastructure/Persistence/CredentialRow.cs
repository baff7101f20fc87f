using NodaTime;

namespace LocalKeyManager.Infrastructure.Persistence;

/// <summary>The <c>credentials</c> table. The key column holds only the wrapped blob.</summary>
public sealed class CredentialRow
{
    public required string Id { get; set; }

    public int Role { get; set; }

    public int Algorithm { get; set; }

    public required byte[] WrappedKey { get; set; }

    public required string KekId { get; set; }

    public Instant CreatedAt { get; set; }

    public Instant? RevokedAt { get; set; }
}
