using NodaTime;

namespace LocalKeyManager.Domain.Audit;

/// <summary>
/// One authenticated request, as the compliance record keeps it: who (credential and Genesys
/// user), what (method, path, keypair), when, from where, and how it ended. Never a plaintext,
/// a ciphertext or any key material.
/// </summary>
public sealed record RequestLogEntry
{
    public const string NoUserId = "NO-USER-ID";

    /// <summary>
    /// Log times are kept to the millisecond, the precision they are shown and queried with, so
    /// that a time read from the log finds its entry again as an inclusive bound.
    /// </summary>
    public static Instant ToLogPrecision(Instant instant) => Instant.FromUnixTimeMilliseconds(instant.ToUnixTimeMilliseconds());

    public required Guid Id { get; init; }

    public required Instant Timestamp { get; init; }

    public required string CredentialId { get; init; }

    /// <summary>The <c>PureCloud-User-Id</c> header, or <see cref="NoUserId"/>.</summary>
    public required string UserId { get; init; }

    public required string RequestMethod { get; init; }

    /// <summary>The request path, without the query string (as the original service logged it).</summary>
    public required string RequestUri { get; init; }

    public required int Status { get; init; }

    public string? KeypairId { get; init; }

    public string? ClientAddress { get; init; }

    public required double DurationMs { get; init; }

    /// <summary>What an administrative action did, e.g. how many entries a purge removed.</summary>
    public string? Detail { get; init; }
}
