using System.Security.Cryptography;
using LocalKeyManager.Domain.Crypto;
using LocalKeyManager.Application.Errors;
using LocalKeyManager.Domain.Keys;

namespace LocalKeyManager.Infrastructure.Crypto;

/// <summary>RSA with the framework's implementation (OpenSSL on Linux); nothing hand-rolled.</summary>
public sealed class RsaEngine(IKeyProtector protector, PrivateKeyCache cache, RsaWorkers workers, Persistence.DatabaseOutage outage) : IRsaEngine
{
    public const int KeySizeBits = 3072;

    /// <summary>
    /// At most one generation per two processors at a time. One takes about a second of a core
    /// (more when starved); run 24 at once, on the request threads as before, they held every
    /// thread-pool thread and both cores, and the instance's decrypts waited over 10 s (the
    /// load balancer's timeout: the cluster test's 24-generation storm). The others wait without
    /// a thread, and give up if their caller goes away, or if a request fails on the database
    /// meanwhile (<see cref="Persistence.DatabaseOutage"/>): the key could not be stored anyway.
    /// A generation under way when that happens is given up too: its request answers at once and
    /// the generation ends on its own, its key never stored (it still holds its turn until then,
    /// so no more generations run than the limit). Finished first and stored after, the last of
    /// eight creations queued in a database hang answered its 503 after 5.3 s, past API.md's 5 s.
    /// </summary>
    private readonly SemaphoreSlim _generating = new(Math.Max(1, Environment.ProcessorCount / 2));

    public async Task<GeneratedKeypair> GenerateAsync(KeypairId id, CancellationToken cancellationToken)
    {
        var outageToken = outage.Token;
        using (var waiting = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken, outageToken))
        {
            try
            {
                await _generating.WaitAsync(waiting.Token);
                if (outageToken.IsCancellationRequested)
                {
                    // Reported while this one got its turn: nothing is generated for nobody.
                    _generating.Release();
                    outageToken.ThrowIfCancellationRequested();
                }
            }
            catch (OperationCanceledException) when (outageToken.IsCancellationRequested && !cancellationToken.IsCancellationRequested)
            {
                throw new UnavailableException("The key store failed while this keypair generation waited its turn. Nothing was created: retry shortly.");
            }
        }

        var generation = Task.Run(() =>
        {
            try
            {
                using var rsa = RSA.Create(KeySizeBits);
                return Wrap(id, rsa.ExportRSAPublicKey(), rsa.ExportRSAPrivateKey());
            }
            finally
            {
                _generating.Release();
            }
        }, CancellationToken.None);
        try
        {
            return await generation.WaitAsync(outageToken);
        }
        catch (OperationCanceledException) when (outageToken.IsCancellationRequested)
        {
            Platform.Abandoned.Observe(generation);
            throw new UnavailableException("The key store failed while this keypair was being generated. Nothing was created: retry shortly.");
        }
    }

    /// <summary>On <see cref="RsaWorkers"/>, with a parsed key from <see cref="PrivateKeyCache"/>.</summary>
    public Task<byte[]?> DecryptAsync(Keypair keypair, byte[] ciphertext, RsaPadding padding, CancellationToken cancellationToken) =>
        workers.RunAsync((Engine: this, Keypair: keypair, Ciphertext: ciphertext, Padding: padding), static s => s.Engine.Decrypt(s.Keypair, s.Ciphertext, s.Padding), cancellationToken);

    public GeneratedKeypair? TryImport(KeypairId id, string privateKey, int minimumBits, out string error)
    {
        using var rsa = RSA.Create();
        return Read(rsa, privateKey, minimumBits, out error) is { } privateDer ? Wrap(id, rsa.ExportRSAPublicKey(), privateDer) : null;
    }

    /// <summary>
    /// Why <see cref="TryImport"/> would refuse <paramref name="privateKey"/> (null: it would take
    /// it), with no master key or database: the command line checks a key before it sets up an
    /// installation for it.
    /// </summary>
    public static string? ImportProblem(string privateKey, int minimumBits)
    {
        using var rsa = RSA.Create();
        if (Read(rsa, privateKey, minimumBits, out var error) is not { } privateDer)
        {
            return error;
        }

        CryptographicOperations.ZeroMemory(privateDer);
        return null;
    }

    /// <summary>Reads an import's key into <paramref name="rsa"/>; its private half as PKCS#1 DER, or null with the reason.</summary>
    private static byte[]? Read(RSA rsa, string privateKey, int minimumBits, out string error)
    {
        if (PrivateKeyFormats.Read(rsa, privateKey) is { } unreadable)
        {
            error = unreadable;
            return null;
        }

        if (rsa.KeySize < minimumBits)
        {
            error = $"privateKey is RSA-{rsa.KeySize}; keys below {minimumBits} bits are refused.";
            return null;
        }

        // The framework reads a multi-prime key (OpenSSL's genrsa -primes 3) but cannot export its
        // private half, which wrapping needs.
        try
        {
            error = string.Empty;
            return rsa.ExportRSAPrivateKey();
        }
        catch (CryptographicException)
        {
            error = "privateKey is a multi-prime RSA key (more than two primes), which is not supported; only two-prime RSA keys can be imported.";
            return null;
        }
    }

    public void Forget(KeypairId id) => cache.Forget(id);

    private byte[]? Decrypt(Keypair keypair, byte[] ciphertext, RsaPadding padding)
    {
        var rsaPadding = padding == RsaPadding.Pkcs1 ? RSAEncryptionPadding.Pkcs1 : RSAEncryptionPadding.OaepSHA1;
        return cache.Use(keypair, rsa =>
        {
            // RFC 8017 ciphertexts are exactly as long as the modulus. A shorter one is the same
            // number without its leading zero bytes (about 1 in 256 ciphertexts starts with one):
            // the original's BouncyCastle engine decrypted it, so it is restored here. Longer, or
            // empty, cannot decrypt.
            var modulusBytes = (rsa.KeySize + 7) / 8;
            if (ciphertext.Length == 0 || ciphertext.Length > modulusBytes)
            {
                return null;
            }

            if (ciphertext.Length < modulusBytes)
            {
                var full = new byte[modulusBytes];
                ciphertext.CopyTo(full, modulusBytes - ciphertext.Length);
                ciphertext = full;
            }

            try
            {
                return rsa.Decrypt(ciphertext, rsaPadding);
            }
            catch (CryptographicException)
            {
                return null;
            }
        });
    }

    /// <summary>Wraps <paramref name="privateKey"/> (DER PKCS#1) under the master key, then zeroes it.</summary>
    private GeneratedKeypair Wrap(KeypairId id, byte[] publicKey, byte[] privateKey)
    {
        try
        {
            return new GeneratedKeypair(publicKey, protector.Wrap(privateKey, Keypair.WrappingContext(id)));
        }
        finally
        {
            CryptographicOperations.ZeroMemory(privateKey);
        }
    }
}
