using System.Security.Cryptography;
using BenchmarkDotNet.Attributes;

namespace LocalKeyManager.Bench.Micro;

/// <summary>
/// RSA-3072 decrypt of a 32-byte secret, straight on System.Security.Cryptography (OpenSSL on
/// Linux): with a parsed key kept in memory, as the service's key cache does, against importing
/// the DER PKCS#1 private key for every decrypt, as a service without the cache would.
/// </summary>
[Config(typeof(ShortInProcessConfig))]
[MemoryDiagnoser]
public class RsaBenchmarks : IDisposable
{
    private RSA _rsa = null!;
    private byte[] _privateKey = [];
    private byte[] _oaepCiphertext = [];
    private byte[] _pkcs1Ciphertext = [];

    [GlobalSetup]
    public void Setup()
    {
        _rsa = RSA.Create(3072);
        _privateKey = _rsa.ExportRSAPrivateKey();
        var secret = RandomNumberGenerator.GetBytes(32);
        using var publicKey = RSA.Create();
        publicKey.ImportRSAPublicKey(_rsa.ExportRSAPublicKey(), out _);
        _oaepCiphertext = publicKey.Encrypt(secret, RSAEncryptionPadding.OaepSHA1);
        _pkcs1Ciphertext = publicKey.Encrypt(secret, RSAEncryptionPadding.Pkcs1);
        if (!DecryptOaepImportEachTime().AsSpan().SequenceEqual(secret) || !DecryptPkcs1Cached().AsSpan().SequenceEqual(secret))
        {
            throw new InvalidOperationException("The benchmark's own ciphertexts do not decrypt.");
        }
    }

    [Benchmark(Baseline = true)]
    public byte[] DecryptOaepCached() => _rsa.Decrypt(_oaepCiphertext, RSAEncryptionPadding.OaepSHA1);

    [Benchmark]
    public byte[] DecryptOaepImportEachTime()
    {
        using var rsa = RSA.Create();
        rsa.ImportRSAPrivateKey(_privateKey, out _);
        return rsa.Decrypt(_oaepCiphertext, RSAEncryptionPadding.OaepSHA1);
    }

    [Benchmark]
    public byte[] DecryptPkcs1Cached() => _rsa.Decrypt(_pkcs1Ciphertext, RSAEncryptionPadding.Pkcs1);

    [GlobalCleanup]
    public void Cleanup() => Dispose();

    public void Dispose()
    {
        _rsa?.Dispose();
        GC.SuppressFinalize(this);
    }
}
