using NodaTime;

namespace LocalKeyManager.Infrastructure.Persistence;

/// <summary>The <c>keypairs</c> table. The private key column holds only the wrapped blob.</summary>
public sealed class KeypairRow
{
    public Guid Id { get; set; }

    public required byte[] PublicKey { get; set; }

    public required byte[] WrappedPrivateKey { get; set; }

    /// <summary>The master key (provider and version) that wrapped <see cref="WrappedPrivateKey"/>.</summary>
    public required string KekId { get; set; }

    public Instant CreatedAt { get; set; }

    public int State { get; set; }
}
