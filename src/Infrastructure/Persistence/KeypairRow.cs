using NodaTime;

namespace LocalKeyManager.Infrastructure.Persistence;

/// <summary>
/// The <c>keypairs</c> table. The private key column holds only the wrapped blob, and nothing at
/// all once the key is destroyed.
/// </summary>
public sealed class KeypairRow
{
    public Guid Id { get; set; }

    public required byte[] PublicKey { get; set; }

    public byte[]? WrappedPrivateKey { get; set; }

    /// <summary>The master key (provider and version) that wrapped <see cref="WrappedPrivateKey"/>.</summary>
    public string? KekId { get; set; }

    public Instant CreatedAt { get; set; }

    public int State { get; set; }

    public Instant? DestroyAt { get; set; }
}
