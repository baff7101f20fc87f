using LocalKeyManager.Domain.Crypto;
using NodaTime;

namespace LocalKeyManager.Domain.Keys;

/// <summary>
/// An RSA keypair that Genesys Cloud encrypts recording keys to. The private half exists here
/// only wrapped under a master key; the public half is the DER <c>RSAPublicKey</c> (PKCS#1).
/// Keypairs are never deleted: losing one loses every recording encrypted under it.
/// </summary>
public sealed class Keypair
{
    private Keypair(KeypairId id, byte[] publicKey, WrappedKey privateKey, Instant createdAt, KeyState state)
    {
        Id = id;
        PublicKey = publicKey;
        PrivateKey = privateKey;
        CreatedAt = createdAt;
        State = state;
    }

    public KeypairId Id { get; }

    /// <summary>DER-encoded PKCS#1 <c>RSAPublicKey</c>.</summary>
    public byte[] PublicKey { get; }

    /// <summary>The DER PKCS#1 <c>RSAPrivateKey</c>, wrapped; bound to <see cref="Id"/> as associated data.</summary>
    public WrappedKey PrivateKey { get; private set; }

    public Instant CreatedAt { get; }

    public KeyState State { get; private set; }

    public static Keypair Create(KeypairId id, byte[] publicKey, WrappedKey privateKey, Instant createdAt)
    {
        ArgumentNullException.ThrowIfNull(publicKey);
        ArgumentNullException.ThrowIfNull(privateKey);
        if (publicKey.Length == 0)
        {
            throw new ArgumentException("A keypair needs a public key.", nameof(publicKey));
        }

        return new Keypair(id, publicKey, privateKey, createdAt, KeyState.Enabled);
    }

    /// <summary>Rebuilds a stored keypair (persistence only).</summary>
    public static Keypair Restore(KeypairId id, byte[] publicKey, WrappedKey privateKey, Instant createdAt, KeyState state) =>
        new(id, publicKey, privateKey, createdAt, state);

    /// <summary>Associated data that binds a wrapped private key to this keypair's row.</summary>
    public static string WrappingContext(KeypairId id) => $"lkm/keypair/{id}";
}
