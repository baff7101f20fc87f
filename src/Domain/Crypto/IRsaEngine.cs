using LocalKeyManager.Domain.Keys;

namespace LocalKeyManager.Domain.Crypto;

/// <summary>
/// RSA operations on keypairs. Plaintext private keys never cross this port: generation
/// returns the private half already wrapped, and decryption takes the stored keypair.
/// </summary>
public interface IRsaEngine
{
    /// <summary>
    /// A fresh RSA-3072 (e = 65537) keypair, private half wrapped for <paramref name="id"/>.
    /// Generations wait their turn (a few at once at most), so that a burst of them does not take
    /// the processors and threads decrypts need.
    /// </summary>
    Task<GeneratedKeypair> GenerateAsync(KeypairId id, CancellationToken cancellationToken);

    /// <summary>
    /// Decrypts with the keypair's private key. Answers null for every undecryptable input
    /// (wrong length, wrong padding, wrong key) without saying which. Canceled, without using
    /// the key, when <paramref name="cancellationToken"/> fires before the decrypt starts.
    /// </summary>
    Task<byte[]?> DecryptAsync(Keypair keypair, byte[] ciphertext, RsaPadding padding, CancellationToken cancellationToken);

    /// <summary>
    /// Reads an existing private key (base64 DER PKCS#1 as the original service stored it, PEM
    /// PKCS#1, PEM PKCS#8, or base64 DER PKCS#8) and wraps it for <paramref name="id"/>. Returns
    /// null with <paramref name="error"/> (no key material in it) when it is not an RSA private
    /// key of at least <paramref name="minimumBits"/> bits.
    /// </summary>
    GeneratedKeypair? TryImport(KeypairId id, string privateKey, int minimumBits, out string error);

    /// <summary>Drops any parsed copy of the keypair's private key held in memory.</summary>
    void Forget(KeypairId id);
}
