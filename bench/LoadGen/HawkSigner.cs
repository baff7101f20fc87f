using System.Globalization;
using System.Security.Cryptography;
using System.Text;

namespace LocalKeyManager.Bench.LoadGen;

/// <summary>
/// A minimal Hawk v1 client (header authentication, sha256), written from the protocol rather
/// than taken from src/ so the benchmark does not share bugs with the server it measures.
/// The HMAC key is the UTF-8 bytes of the authKey string, as @hapi/hawk uses it.
/// </summary>
internal sealed class HawkSigner
{
    private readonly byte[] _key;

    public HawkSigner(string id, string authKey)
    {
        Id = id;
        _key = Encoding.UTF8.GetBytes(authKey);
    }

    public string Id { get; }

    /// <summary>An <c>Authorization</c> value for a request sent now, with a fresh random nonce.</summary>
    public string Header(string method, Uri uri, string? payloadHash) =>
        Header(method, uri, payloadHash, ext: null, DateTimeOffset.UtcNow.ToUnixTimeSeconds(), NewNonce());

    public string Header(string method, Uri uri, string? payloadHash, string? ext, long ts, string nonce)
    {
        var tsText = ts.ToString(CultureInfo.InvariantCulture);
        var mac = Mac(tsText, nonce, method, uri.PathAndQuery, uri.Host, uri.Port, payloadHash, ext);
        var header = new StringBuilder(200)
            .Append("Hawk id=\"").Append(Id)
            .Append("\", ts=\"").Append(tsText)
            .Append("\", nonce=\"").Append(nonce).Append('"');
        if (payloadHash is not null)
        {
            header.Append(", hash=\"").Append(payloadHash).Append('"');
        }

        if (!string.IsNullOrEmpty(ext))
        {
            header.Append(", ext=\"").Append(ext).Append('"');
        }

        return header.Append(", mac=\"").Append(mac).Append('"').ToString();
    }

    public string Mac(string ts, string nonce, string method, string resource, string host, int port, string? hash, string? ext)
    {
        var normalized = new StringBuilder(200)
            .Append("hawk.1.header\n")
            .Append(ts).Append('\n')
            .Append(nonce).Append('\n')
            .Append(method.ToUpperInvariant()).Append('\n')
            .Append(resource).Append('\n')
            .Append(host.ToLowerInvariant()).Append('\n')
            .Append(port.ToString(CultureInfo.InvariantCulture)).Append('\n')
            .Append(hash).Append('\n')
            .Append(ext?.Replace("\\", "\\\\", StringComparison.Ordinal).Replace("\n", "\\n", StringComparison.Ordinal)).Append('\n')
            .ToString();
        return Convert.ToBase64String(HMACSHA256.HashData(_key, Encoding.UTF8.GetBytes(normalized)));
    }

    /// <summary>base64(SHA-256("hawk.1.payload\n{content type}\n{body}\n")).</summary>
    public static string PayloadHash(string contentType, ReadOnlySpan<byte> body)
    {
        using var hash = IncrementalHash.CreateHash(HashAlgorithmName.SHA256);
        hash.AppendData(Encoding.UTF8.GetBytes("hawk.1.payload\n" + contentType + "\n"));
        hash.AppendData(body);
        hash.AppendData("\n"u8);
        return Convert.ToBase64String(hash.GetHashAndReset());
    }

    /// <summary>12 random bytes, base64url: 16 characters the Hawk header grammar accepts.</summary>
    public static string NewNonce()
    {
        Span<byte> bytes = stackalloc byte[12];
        RandomNumberGenerator.Fill(bytes);
        return Convert.ToBase64String(bytes).Replace('+', '-').Replace('/', '_');
    }

    /// <summary>
    /// The example from the Hawk README (id dh37fgj492je, GET /resource/1?b=1&amp;a=2 on
    /// example.com:8000, ext some-app-ext-data): a wrong signer fails here, not as a wall of 401s.
    /// </summary>
    public static void SelfTest()
    {
        var signer = new HawkSigner("dh37fgj492je", "werxhqb98rpaxn39848xrunpaw3489ruxnpa98w4rxn");
        var mac = signer.Mac("1353832234", "j4h3g2", "GET", "/resource/1?b=1&a=2", "example.com", 8000, null, "some-app-ext-data");
        const string Expected = "6R4rV5iE+NPoym+WwjeHzjAGXUtLNIxmo1vpMofpLAE=";
        if (mac != Expected)
        {
            throw new InvalidOperationException($"Hawk self-test failed: got {mac}, expected {Expected}.");
        }
    }
}
