using LocalKeyManager.Domain.Keys;

namespace LocalKeyManager.Domain.Crypto;

/// <summary>
/// RSA operations on keypairs. Plaintext private keys never cross this port: generation
/// returns the private half already wrapped, and decryption takes the stored keypair.
/// </summary>
public interface IRsaEngine
{
    /// <summary>A fresh RSA-3072 (e = 65537) keypair, private half wrapped for <paramref name="id"/>.</summary>
    GeneratedKeypair Generate(KeypairId id);

    /// <summary>
    /// Decrypts with the keypair's private key. Returns false for every undecryptable input
    /// (wrong length, wrong padding, wrong key) without saying which.
    /// </summary>
    bool TryDecrypt(Keypair keypair, ReadOnlySpan<byte> ciphertext, RsaPadding padding, out byte[] plaintext);
}
