using LocalKeyManager.Domain.Crypto;
using NodaTime;

namespace LocalKeyManager.Domain.Credentials;

/// <summary>
/// A Hawk credential. Its key is kept only wrapped under a master key (bound to the id as
/// associated data); once revoked it never authenticates again.
/// </summary>
public sealed class HawkCredential
{
    private HawkCredential(string id, CredentialRole role, HawkAlgorithm algorithm, WrappedKey key, Instant createdAt, Instant? revokedAt)
    {
        Id = id;
        Role = role;
        Algorithm = algorithm;
        Key = key;
        CreatedAt = createdAt;
        RevokedAt = revokedAt;
    }

    public string Id { get; }

    public CredentialRole Role { get; }

    public HawkAlgorithm Algorithm { get; }

    /// <summary>The UTF-8 bytes of the key string handed to the client, wrapped.</summary>
    public WrappedKey Key { get; private set; }

    public Instant CreatedAt { get; }

    public Instant? RevokedAt { get; private set; }

    public bool IsRevoked => RevokedAt is not null;

    public static HawkCredential Create(string id, CredentialRole role, HawkAlgorithm algorithm, WrappedKey key, Instant createdAt)
    {
        if (!CredentialId.IsValid(id))
        {
            throw new ArgumentException("A credential id is 6..128 characters of [A-Za-z0-9._-].", nameof(id));
        }

        ArgumentNullException.ThrowIfNull(key);
        return new HawkCredential(id, role, algorithm, key, createdAt, null);
    }

    /// <summary>Rebuilds a stored credential (persistence only).</summary>
    public static HawkCredential Restore(string id, CredentialRole role, HawkAlgorithm algorithm, WrappedKey key, Instant createdAt, Instant? revokedAt) =>
        new(id, role, algorithm, key, createdAt, revokedAt);

    /// <summary>Revokes the credential; revoking twice keeps the first time.</summary>
    public void Revoke(Instant at) => RevokedAt ??= at;

    /// <summary>Associated data that binds a wrapped credential key to this credential's row.</summary>
    public static string WrappingContext(string id) => $"lkm/credential/{id}";
}
