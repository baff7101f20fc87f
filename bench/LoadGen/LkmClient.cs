using System.Net;
using System.Net.Http.Headers;
using System.Text.Json;

namespace LocalKeyManager.Bench.LoadGen;

/// <summary>The service's endpoints, Hawk-signed, over one pooled <see cref="HttpClient"/>.</summary>
internal sealed class LkmClient : IDisposable
{
    public const string BasePath = "key-management/v1/";
    public const string JsonContentType = "application/json";

    private static readonly JsonSerializerOptions Json = new(JsonSerializerDefaults.Web);
    private static readonly MediaTypeHeaderValue JsonMediaType = new(JsonContentType) { CharSet = "utf-8" };

    private readonly HttpClient _http;
    private readonly Uri _baseUri;

    public LkmClient(Uri baseUri, HawkSigner signer, bool payloadHash)
    {
        _baseUri = baseUri;
        Signer = signer;
        PayloadHash = payloadHash;
        var handler = new SocketsHttpHandler
        {
            // Closed-loop levels go up to 64 and the open loop can have more in flight; one
            // request per connection at a time over HTTP/1.1, so allow plenty.
            MaxConnectionsPerServer = 4096,
            PooledConnectionLifetime = Timeout.InfiniteTimeSpan,
            PooledConnectionIdleTimeout = TimeSpan.FromMinutes(5),
            UseCookies = false,
            UseProxy = false,
            AllowAutoRedirect = false,
            AutomaticDecompression = DecompressionMethods.None,
            ConnectTimeout = TimeSpan.FromSeconds(10),
        };
        _http = new HttpClient(handler, disposeHandler: true) { Timeout = TimeSpan.FromSeconds(60) };
    }

    public HawkSigner Signer { get; }

    public bool PayloadHash { get; }

    public Uri Resolve(string relative) => new(_baseUri, relative);

    /// <summary>Sends a signed request; <paramref name="hash"/> is the precomputed payload hash, if any.</summary>
    public async Task<HttpResponseMessage> SendAsync(HttpMethod method, Uri uri, byte[]? body, string? hash, CancellationToken cancellationToken = default)
    {
        using var request = new HttpRequestMessage(method, uri);
        if (body is not null)
        {
            request.Content = new ByteArrayContent(body);
            request.Content.Headers.ContentType = JsonMediaType;
        }

        request.Headers.TryAddWithoutValidation("Authorization", Signer.Header(method.Method, uri, hash));
        return await _http.SendAsync(request, HttpCompletionOption.ResponseContentRead, cancellationToken);
    }

    public string? HashOf(byte[] body) => PayloadHash ? HawkSigner.PayloadHash(JsonContentType, body) : null;

    public async Task<T> CallAsync<T>(HttpMethod method, string relative, object? body = null)
    {
        var bytes = body is null ? null : JsonSerializer.SerializeToUtf8Bytes(body, Json);
        using var response = await SendAsync(method, Resolve(relative), bytes, bytes is null ? null : HashOf(bytes));
        var text = await response.Content.ReadAsStringAsync();
        if (!response.IsSuccessStatusCode)
        {
            throw new HttpRequestException($"{method} /{BasePath}{relative} answered {(int)response.StatusCode}: {Describe(response)} {text}", null, response.StatusCode);
        }

        return JsonSerializer.Deserialize<T>(text, Json) ?? throw new InvalidOperationException($"{method} {relative} answered null.");
    }

    public Task<KeypairDto> CreateKeypairAsync() => CallAsync<KeypairDto>(HttpMethod.Post, BasePath + "keypair");

    /// <summary>A short name for a failed answer: the status, and Hawk's error attribute if any.</summary>
    public static string Describe(HttpResponseMessage response)
    {
        var kind = "HTTP " + (int)response.StatusCode;
        var hawk = response.Headers.WwwAuthenticate.FirstOrDefault(h => h.Scheme.Equals("Hawk", StringComparison.OrdinalIgnoreCase))?.Parameter;
        var at = hawk?.IndexOf("error=\"", StringComparison.Ordinal) ?? -1;
        if (hawk is not null && at >= 0)
        {
            var start = at + "error=\"".Length;
            var end = hawk.IndexOf('"', start);
            kind += " (" + (end > start ? hawk[start..end] : hawk[start..]) + ")";
        }

        return kind;
    }

    /// <summary>The exception's type, and its innermost cause for transport failures.</summary>
    public static string Describe(Exception exception)
    {
        if (exception is TaskCanceledException or OperationCanceledException)
        {
            return "Timeout (" + exception.GetType().Name + ")";
        }

        var name = exception.GetType().Name;
        var inner = exception.InnerException;
        while (inner?.InnerException is not null)
        {
            inner = inner.InnerException;
        }

        return inner is null ? name : name + "/" + inner.GetType().Name;
    }

    public static byte[] Serialize(object value) => JsonSerializer.SerializeToUtf8Bytes(value, Json);

    public void Dispose() => _http.Dispose();
}

internal sealed record KeypairDto(string Id, string PublicKey, long DateCreated);

internal sealed record CredentialDto(string Id, string AuthKey, string Algorithm);

internal sealed record DecryptBody(string KeypairId, string Body);
