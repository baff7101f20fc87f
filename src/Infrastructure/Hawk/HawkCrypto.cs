using System.Security.Cryptography;
using System.Text;
using LocalKeyManager.Domain.Credentials;

namespace LocalKeyManager.Infrastructure.Hawk;

/// <summary>
/// Hawk protocol version 1 computations, byte for byte as @hapi/hawk's <c>crypto.js</c>:
/// the normalized string, request and response MACs, payload hashes and the timestamp MAC.
/// The key is the UTF-8 bytes of the credential's key string.
/// </summary>
public static class HawkCrypto
{
    public const string HeaderType = "header";
    public const string ResponseType = "response";

    /// <summary>What a MAC covers, apart from its type and the hash/ext of the message.</summary>
    public sealed record Artifacts(string Ts, string Nonce, string Method, string Resource, string Host, string Port, string? App, string? Dlg);

    public static string NormalizedString(string type, Artifacts artifacts, string? hash, string? ext)
    {
        var resource = artifacts.Resource;
        if (resource.Length > 0 && resource[0] != '/' && Uri.TryCreate(resource, UriKind.Absolute, out var absolute))
        {
            // An absolute-form request target: the reference signs only its path and query.
            resource = absolute.PathAndQuery;
        }

        var builder = new StringBuilder(160)
            .Append("hawk.1.").Append(type).Append('\n')
            .Append(artifacts.Ts).Append('\n')
            .Append(artifacts.Nonce).Append('\n')
            .Append(artifacts.Method.ToUpperInvariant()).Append('\n')
            .Append(resource).Append('\n')
            .Append(artifacts.Host.ToLowerInvariant()).Append('\n')
            .Append(artifacts.Port).Append('\n')
            .Append(hash).Append('\n');
        if (!string.IsNullOrEmpty(ext))
        {
            builder.Append(ext.Replace("\\", "\\\\", StringComparison.Ordinal).Replace("\n", "\\n", StringComparison.Ordinal));
        }

        builder.Append('\n');
        if (!string.IsNullOrEmpty(artifacts.App))
        {
            builder.Append(artifacts.App).Append('\n').Append(artifacts.Dlg).Append('\n');
        }

        return builder.ToString();
    }

    public static string Mac(HawkAlgorithm algorithm, ReadOnlySpan<byte> key, string type, Artifacts artifacts, string? hash, string? ext) =>
        Hmac(algorithm, key, NormalizedString(type, artifacts, hash, ext));

    /// <summary>base64(H("hawk.1.payload\n" + content type without parameters, lowercase + "\n" + payload + "\n")).</summary>
    public static string PayloadHash(HawkAlgorithm algorithm, ReadOnlySpan<byte> payload, string? contentType)
    {
        var prefix = Encoding.UTF8.GetBytes("hawk.1.payload\n" + ParseContentType(contentType) + "\n");
        using var hash = IncrementalHash.CreateHash(algorithm == HawkAlgorithm.Sha1 ? HashAlgorithmName.SHA1 : HashAlgorithmName.SHA256);
        hash.AppendData(prefix);
        hash.AppendData(payload);
        hash.AppendData("\n"u8);
        return Convert.ToBase64String(hash.GetHashAndReset());
    }

    /// <summary>The MAC that lets a client trust the server time in a stale-timestamp answer.</summary>
    public static string TimestampMac(HawkAlgorithm algorithm, ReadOnlySpan<byte> key, long ts) =>
        Hmac(algorithm, key, "hawk.1.ts\n" + ts.ToString(System.Globalization.CultureInfo.InvariantCulture) + "\n");

    /// <summary>Compares two base64 MACs in time that does not depend on where they differ.</summary>
    public static bool MacEquals(string expected, string actual) =>
        CryptographicOperations.FixedTimeEquals(Encoding.ASCII.GetBytes(expected), Encoding.ASCII.GetBytes(actual));

    /// <summary>The media type alone, lowercase: <c>text/plain; charset=utf-8</c> is <c>text/plain</c>.</summary>
    public static string ParseContentType(string? contentType)
    {
        if (string.IsNullOrEmpty(contentType))
        {
            return string.Empty;
        }

        var semicolon = contentType.IndexOf(';', StringComparison.Ordinal);
        return (semicolon < 0 ? contentType : contentType[..semicolon]).Trim().ToLowerInvariant();
    }

    private static string Hmac(HawkAlgorithm algorithm, ReadOnlySpan<byte> key, string text)
    {
        var data = Encoding.UTF8.GetBytes(text);
        Span<byte> mac = stackalloc byte[32];
        var length = algorithm == HawkAlgorithm.Sha1
            ? HMACSHA1.HashData(key, data, mac)
            : HMACSHA256.HashData(key, data, mac);
        return Convert.ToBase64String(mac[..length]);
    }
}
