using System.Globalization;
using LocalKeyManager.Infrastructure.Hawk;
using Microsoft.AspNetCore.Http.Features;
using Microsoft.Extensions.Options;

namespace LocalKeyManager.Api.Authentication;

/// <summary>
/// Reads what Hawk signs from an HTTP request: the raw request target, and the host and port the
/// client signed: the configured public host/port first, else the Host header (which the
/// forwarded-headers middleware has already replaced for trusted proxies) as sent, else the scheme's
/// default port.
/// </summary>
public sealed class HawkRequestReader(IOptions<HawkOptions> options)
{
    public HawkRequest Read(HttpContext context)
    {
        var request = context.Request;
        var rawTarget = context.Features.Get<IHttpRequestFeature>()?.RawTarget;
        var resource = string.IsNullOrEmpty(rawTarget) ? request.PathBase + request.Path + request.QueryString : rawTarget;
        var hawk = options.Value;
        // The Host header as sent, not request.Host: that turns an IDN's punycode (xn--...), which
        // is what every client signs, into Unicode.
        var sent = new HostString(request.Headers.Host.ToString());
        var host = hawk.PublicHost ?? sent.Host;
        var port = hawk.PublicPort?.ToString(CultureInfo.InvariantCulture) ?? SentPort(sent) ?? (request.IsHttps ? "443" : "80");
        // HTTP/2 and HTTP/3 bodies need neither Content-Length nor Transfer-Encoding.
        var hasBody = request.ContentLength > 0 || (request.ContentLength is null && context.Features.Get<IHttpRequestBodyDetectionFeature>()?.CanHaveBody == true);
        return new HawkRequest(request.Method, resource, host, port, request.Headers.Authorization, request.ContentType, hasBody);
    }

    /// <summary>
    /// The Host header's port as the client wrote it, or null when it has none: the reference
    /// signs and checks these digits as text, so <c>:018081</c> is not <c>:18081</c>.
    /// </summary>
    private static string? SentPort(HostString sent) =>
        sent.Port is null ? null : sent.Value![(sent.Value!.LastIndexOf(':') + 1)..];
}
