using NodaTime;

namespace LocalKeyManager.Infrastructure.Persistence;

/// <summary>The <c>hawk_nonces</c> table: one row per accepted (credential, nonce, ts).</summary>
public sealed class NonceRow
{
    public required string CredentialId { get; set; }

    public required string Nonce { get; set; }

    public long Ts { get; set; }

    public Instant SeenAt { get; set; }
}
