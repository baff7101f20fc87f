using System.Security.Cryptography;
using System.Text;
using BenchmarkDotNet.Attributes;
using LocalKeyManager.Domain.Credentials;
using LocalKeyManager.Infrastructure.Hawk;

namespace LocalKeyManager.Bench.Micro;

/// <summary>
/// What the service does with every request's <c>Authorization</c> header before it touches the
/// database: parse it with the reference parser's rules, compute the MAC, compare in fixed time.
/// </summary>
[Config(typeof(ShortInProcessConfig))]
[MemoryDiagnoser]
public class HawkBenchmarks
{
    private const string Resource = "/key-management/v1/decrypt?decryptType=pkcs1";
    private const string Host = "lkm.example.com";
    private const string Port = "443";

    private byte[] _key = [];
    private string _header = string.Empty;
    private byte[] _body = [];
    private HawkCrypto.Artifacts _artifacts = null!;

    [GlobalSetup]
    public void Setup()
    {
        // A credential key as POST /auth makes them: 32 random bytes, base64url, used as UTF-8.
        var authKey = Convert.ToBase64String(RandomNumberGenerator.GetBytes(32)).TrimEnd('=').Replace('+', '-').Replace('/', '_');
        _key = Encoding.UTF8.GetBytes(authKey);
        var ts = DateTimeOffset.UtcNow.ToUnixTimeSeconds().ToString(System.Globalization.CultureInfo.InvariantCulture);
        const string Nonce = "Ygvqdz3aXk2mPq8L";
        _artifacts = new HawkCrypto.Artifacts(ts, Nonce, "POST", Resource, Host, Port, null, null);
        _body = Encoding.UTF8.GetBytes("{\"keypairId\":\"0b4f3c52-7a55-4c1c-9d4b-1f0f5c3e9a11\",\"body\":\"" + Convert.ToBase64String(RandomNumberGenerator.GetBytes(384)) + "\"}");
        var hash = HawkCrypto.PayloadHash(HawkAlgorithm.Sha256, _body, "application/json");
        var mac = HawkCrypto.Mac(HawkAlgorithm.Sha256, _key, HawkCrypto.HeaderType, _artifacts, hash, null);
        _header = $"Hawk id=\"genesys-prod\", ts=\"{ts}\", nonce=\"{Nonce}\", hash=\"{hash}\", mac=\"{mac}\"";
        if (!ParseMacVerify())
        {
            throw new InvalidOperationException("The benchmark's own header does not verify.");
        }
    }

    [Benchmark]
    public HawkHeader? Parse() => HawkHeaderParser.Parse(_header, out _);

    [Benchmark]
    public string Mac() => HawkCrypto.Mac(HawkAlgorithm.Sha256, _key, HawkCrypto.HeaderType, _artifacts, null, null);

    [Benchmark]
    public string PayloadHash() => HawkCrypto.PayloadHash(HawkAlgorithm.Sha256, _body, "application/json; charset=utf-8");

    /// <summary>Parse, rebuild the artifacts from the header, MAC, fixed-time compare: the per-request CPU cost of Hawk.</summary>
    [Benchmark(Baseline = true)]
    public bool ParseMacVerify()
    {
        var header = HawkHeaderParser.Parse(_header, out _)!;
        var artifacts = new HawkCrypto.Artifacts(header.Ts, header.Nonce, "POST", Resource, Host, Port, header.App, header.Dlg);
        var expected = HawkCrypto.Mac(HawkAlgorithm.Sha256, _key, HawkCrypto.HeaderType, artifacts, header.Hash, header.Ext);
        return HawkCrypto.MacEquals(expected, header.Mac);
    }
}
