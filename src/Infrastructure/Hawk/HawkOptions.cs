using System.ComponentModel.DataAnnotations;

namespace LocalKeyManager.Infrastructure.Hawk;

/// <summary>Configuration section <c>Hawk</c>.</summary>
public sealed class HawkOptions : IValidatableObject
{
    public const string Section = "Hawk";

    /// <summary>How far a request's timestamp may be from the server clock, either way.</summary>
    [Range(1, 3600, ErrorMessage = "Hawk:TimestampSkewSeconds must be 1 to 3600.")]
    public int TimestampSkewSeconds { get; set; } = 60;

    /// <summary>Refuse requests with a body that do not carry a payload hash.</summary>
    public bool RequirePayloadHash { get; set; }

    /// <summary>
    /// The host clients sign (e.g. the public name Genesys Cloud calls). Overrides the Host header.
    /// Empty is unset (an environment variable left empty by a compose file), as for the port.
    /// </summary>
    public string? PublicHost { get => field; set => field = Ascii(value); }

    /// <summary>Bad MACs for one id within <see cref="LockoutSeconds"/> that lock it out for as long; 0 (default) disables lockout.</summary>
    [Range(0, 1_000_000, ErrorMessage = "Hawk:LockoutThreshold must be 0 (off) to 1000000.")]
    public int LockoutThreshold { get; set; }

    [Range(1, 86_400, ErrorMessage = "Hawk:LockoutSeconds must be 1 to 86400.")]
    public int LockoutSeconds { get; set; } = 60;

    /// <summary>The port clients sign (443 behind a TLS-terminating load balancer).</summary>
    [Range(1, 65535, ErrorMessage = "Hawk:PublicPort must be 1 to 65535.")]
    public int? PublicPort { get; set; }

    /// <summary>
    /// A host with a scheme, a port or a path can never match what a client signs (its host alone),
    /// so every request would fail with 401: refused at start-up instead.
    /// </summary>
    public IEnumerable<ValidationResult> Validate(ValidationContext validationContext)
    {
        if (PublicHost is { } host && !IsHostOnly(host))
        {
            yield return new ValidationResult(
                $"Hawk:PublicHost '{host}' must be a host name only (for example lkm.example.com, or an IPv6 address in brackets), without scheme, port or path; the port goes in Hawk:PublicPort.",
                [nameof(PublicHost)]);
        }
    }

    /// <summary>
    /// An international name as clients sign it: its ASCII (punycode) form, which is what URL
    /// parsers put in the Host header. Empty is unset.
    /// </summary>
    private static string? Ascii(string? value)
    {
        if (string.IsNullOrWhiteSpace(value))
        {
            return null;
        }

        var host = value.Trim();
        try
        {
            return host.Any(c => c > 127) ? new System.Globalization.IdnMapping().GetAscii(host) : host;
        }
        catch (ArgumentException)
        {
            return host;
        }
    }

    private static bool IsHostOnly(string host) =>
        host.StartsWith('[')
            ? host.EndsWith(']') && System.Net.IPAddress.TryParse(host[1..^1], out _)
            : Uri.CheckHostName(host) is UriHostNameType.Dns or UriHostNameType.IPv4;
}
