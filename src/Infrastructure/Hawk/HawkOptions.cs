using System.ComponentModel.DataAnnotations;

namespace LocalKeyManager.Infrastructure.Hawk;

/// <summary>Configuration section <c>Hawk</c>.</summary>
public sealed class HawkOptions
{
    public const string Section = "Hawk";

    /// <summary>How far a request's timestamp may be from the server clock, either way.</summary>
    [Range(1, 3600)]
    public int TimestampSkewSeconds { get; set; } = 60;

    /// <summary>Refuse requests with a body that do not carry a payload hash.</summary>
    public bool RequirePayloadHash { get; set; }

    /// <summary>The host clients sign (e.g. the public name Genesys Cloud calls). Overrides the Host header.</summary>
    public string? PublicHost { get; set; }

    /// <summary>Bad MACs for one id within <see cref="LockoutSeconds"/> that lock it out for as long; 0 (default) disables lockout.</summary>
    [Range(0, 1_000_000)]
    public int LockoutThreshold { get; set; }

    [Range(1, 86_400)]
    public int LockoutSeconds { get; set; } = 60;

    /// <summary>The port clients sign (443 behind a TLS-terminating load balancer).</summary>
    [Range(1, 65535)]
    public int? PublicPort { get; set; }
}
