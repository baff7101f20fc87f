using System.Globalization;
using System.Text;
using LocalKeyManager.Domain.Credentials;
using LocalKeyManager.Infrastructure.Hawk;

namespace LocalKeyManager.Api.FunctionalTests;

/// <summary>
/// A Hawk client: signs each request (with a payload hash when it has a body) and keeps the
/// artifacts so tests can verify <c>Server-Authorization</c>. Per-request options change the
/// clock offset, leave the hash out, or replace the header.
/// </summary>
public sealed class HawkSigningHandler(HawkCredentials credentials) : DelegatingHandler
{
    public static readonly HttpRequestOptionsKey<long> ClockOffsetSeconds = new("hawk-offset");
    public static readonly HttpRequestOptionsKey<bool> WithoutPayloadHash = new("hawk-no-hash");
    public static readonly HttpRequestOptionsKey<string> Header = new("hawk-header");
    public static readonly HttpRequestOptionsKey<string> Ext = new("hawk-ext");
    public static readonly HttpRequestOptionsKey<HawkCredentials> As = new("hawk-as");
    public static readonly HttpRequestOptionsKey<string> Nonce = new("hawk-nonce");

    protected override async Task<HttpResponseMessage> SendAsync(HttpRequestMessage request, CancellationToken cancellationToken)
    {
        var (header, artifacts) = await SignAsync(request, request.Options.TryGetValue(As, out var other) ? other : credentials, cancellationToken);
        request.Headers.TryAddWithoutValidation("Authorization", request.Options.TryGetValue(Header, out var replaced) ? replaced : header);

        var response = await base.SendAsync(request, cancellationToken);
        response.RequestMessage!.Options.Set(new HttpRequestOptionsKey<HawkCrypto.Artifacts>("hawk-artifacts"), artifacts);
        response.RequestMessage.Options.Set(new HttpRequestOptionsKey<string>("hawk-sent"), header);
        return response;
    }

    /// <summary>A fresh header for <paramref name="request"/> (absolute URI), not sent: to send one header several times.</summary>
    public static async Task<(string Header, HawkCrypto.Artifacts Artifacts)> SignAsync(HttpRequestMessage request, HawkCredentials signer, CancellationToken cancellationToken)
    {
        var uri = request.RequestUri!;
        request.Options.TryGetValue(ClockOffsetSeconds, out var offset);
        var ts = (DateTimeOffset.UtcNow.ToUnixTimeSeconds() + offset).ToString(CultureInfo.InvariantCulture);
        var nonce = request.Options.TryGetValue(Nonce, out var chosen) ? chosen : Guid.NewGuid().ToString("N")[..10];
        string? hash = null;
        if (request.Content is not null && !(request.Options.TryGetValue(WithoutPayloadHash, out var noHash) && noHash))
        {
            var body = await request.Content.ReadAsByteArrayAsync(cancellationToken);
            hash = HawkCrypto.PayloadHash(signer.Algorithm, body, request.Content.Headers.ContentType?.ToString());
        }

        request.Options.TryGetValue(Ext, out var ext);
        // A Host header set by the test is signed as written (the reference client signs the URL's
        // port as text); otherwise the URI's host and port.
        var (host, port) = request.Headers.Host is { } sent
            ? (sent[..sent.LastIndexOf(':')], sent[(sent.LastIndexOf(':') + 1)..])
            : (uri.Host, uri.Port.ToString(CultureInfo.InvariantCulture));
        var artifacts = new HawkCrypto.Artifacts(ts, nonce, request.Method.Method, uri.PathAndQuery, host, port, null, null);
        var mac = HawkCrypto.Mac(signer.Algorithm, Encoding.UTF8.GetBytes(signer.Key), HawkCrypto.HeaderType, artifacts, hash, ext);
        var header = $"Hawk id=\"{signer.Id}\", ts=\"{ts}\", nonce=\"{nonce}\", mac=\"{mac}\""
            + (hash is null ? string.Empty : $", hash=\"{hash}\"")
            + (ext is null ? string.Empty : $", ext=\"{ext}\"");
        return (header, artifacts);
    }

    /// <summary>True when the response's Server-Authorization MAC and payload hash verify.</summary>
    public static async Task<bool> VerifyServerAsync(HttpResponseMessage response, HawkCredentials credentials)
    {
        if (!response.Headers.TryGetValues("Server-Authorization", out var values))
        {
            return false;
        }

        var header = HawkHeaderParserForResponse.Parse(values.Single());
        var artifacts = response.RequestMessage!.Options.TryGetValue(new HttpRequestOptionsKey<HawkCrypto.Artifacts>("hawk-artifacts"), out var a) ? a : null;
        var body = await response.Content.ReadAsByteArrayAsync();
        var hash = HawkCrypto.PayloadHash(credentials.Algorithm, body, response.Content.Headers.ContentType?.ToString());
        var mac = HawkCrypto.Mac(credentials.Algorithm, Encoding.UTF8.GetBytes(credentials.Key), HawkCrypto.ResponseType, artifacts!, hash, null);
        return header.TryGetValue("hash", out var sentHash) && sentHash == hash && header.TryGetValue("mac", out var sentMac) && sentMac == mac;
    }

    /// <summary>The header this handler sent with the request behind <paramref name="response"/>.</summary>
    public static string SentHeader(HttpResponseMessage response) =>
        response.RequestMessage!.Options.TryGetValue(new HttpRequestOptionsKey<string>("hawk-sent"), out var h) ? h : throw new InvalidOperationException();

    private static class HawkHeaderParserForResponse
    {
        public static Dictionary<string, string> Parse(string header) =>
            header["Hawk ".Length..].Split(", ").Select(p => p.Split('=', 2)).ToDictionary(p => p[0], p => p[1].Trim('"'));
    }
}
