using System.Security.Cryptography;
using LocalKeyManager.Domain.Crypto;
using LocalKeyManager.Domain.Keys;

namespace LocalKeyManager.Infrastructure.Crypto;

/// <summary>RSA with the framework's implementation (OpenSSL on Linux); nothing hand-rolled.</summary>
public sealed class RsaEngine(IKeyProtector protector, PrivateKeyCache cache) : IRsaEngine
{
    public const int KeySizeBits = 3072;

    public GeneratedKeypair Generate(KeypairId id)
    {
        using var rsa = RSA.Create(KeySizeBits);
        var publicKey = rsa.ExportRSAPublicKey();
        var privateKey = rsa.ExportRSAPrivateKey();
        try
        {
            return new GeneratedKeypair(publicKey, protector.Wrap(privateKey, Keypair.WrappingContext(id)));
        }
        finally
        {
            CryptographicOperations.ZeroMemory(privateKey);
        }
    }

    public bool TryDecrypt(Keypair keypair, ReadOnlySpan<byte> ciphertext, RsaPadding padding, out byte[] plaintext)
    {
        var rsaPadding = padding == RsaPadding.Pkcs1 ? RSAEncryptionPadding.Pkcs1 : RSAEncryptionPadding.OaepSHA1;
        var input = ciphertext.ToArray();
        var result = cache.Use(keypair, rsa =>
        {
            // A ciphertext is exactly as long as the modulus; anything else cannot decrypt.
            if (input.Length != (rsa.KeySize + 7) / 8)
            {
                return null;
            }

            try
            {
                return rsa.Decrypt(input, rsaPadding);
            }
            catch (CryptographicException)
            {
                return null;
            }
        });

        plaintext = result ?? [];
        return result is not null;
    }
}
