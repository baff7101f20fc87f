using NodaTime;

namespace LocalKeyManager.Domain.Audit;

/// <summary>
/// One authenticated request, as the compliance record keeps it: who (credential and Genesys
/// user), what (method, path, keypair), when, from where, and how it ended. Never a plaintext,
/// a ciphertext or any key material.
/// <para>
/// Each text field holds at most its column's length (the Max* constants, which the database
/// schema uses too); a longer value is cut to it here, so that what a client chose to send (a
/// long <c>PureCloud-User-Id</c>, a made-up HTTP method) is recorded the same way on every
/// database, and never makes a database refuse the entry. For the same reason a character no
/// database text column can hold everywhere (U+0000, which PostgreSQL refuses, and a lone UTF-16
/// surrogate, which is no character at all) is recorded as U+FFFD: a <c>keypairId</c> sent as
/// <c>"x\u0000"</c> must not turn its own entry, and the group commit it shares, into a failure.
/// </para>
/// </summary>
public sealed record RequestLogEntry
{
    public const string NoUserId = "NO-USER-ID";

    /// <summary>
    /// The credential id of what the service does by itself (retention purges, key destructions):
    /// parentheses are outside the characters a credential id may have, so no credential can act
    /// under it or be taken for it in the log.
    /// </summary>
    public const string SystemCredentialId = "(system)";

    /// <summary>
    /// The credential id of what an operator did with the command line (a credential created or
    /// revoked, keys imported, exported or restored, the master key rotated); the entry's user is
    /// the operating-system account that ran it.
    /// </summary>
    public const string CommandLineCredentialId = "(command line)";

    public const int MaxCredentialIdLength = Credentials.CredentialId.MaxLength;
    public const int MaxUserIdLength = 256;
    public const int MaxRequestMethodLength = 16;
    public const int MaxRequestUriLength = 2048;
    public const int MaxKeypairIdLength = 64;
    public const int MaxClientAddressLength = 64;
    public const int MaxDetailLength = 1024;

    /// <summary>
    /// Log times are kept to the millisecond, the precision they are shown and queried with, so
    /// that a time read from the log finds its entry again as an inclusive bound.
    /// </summary>
    public static Instant ToLogPrecision(Instant instant) => Instant.FromUnixTimeMilliseconds(instant.ToUnixTimeMilliseconds());

    public required Guid Id { get; init; }

    public required Instant Timestamp { get; init; }

    public required string CredentialId { get; init => field = Cut(value, MaxCredentialIdLength); }

    /// <summary>The <c>PureCloud-User-Id</c> header, or <see cref="NoUserId"/>.</summary>
    public required string UserId { get; init => field = Cut(value, MaxUserIdLength); }

    public required string RequestMethod { get; init => field = Cut(value, MaxRequestMethodLength); }

    /// <summary>The request path, without the query string (as the original service logged it).</summary>
    public required string RequestUri { get; init => field = Cut(value, MaxRequestUriLength); }

    public required int Status { get; init; }

    public string? KeypairId { get; init => field = Cut(value, MaxKeypairIdLength); }

    public string? ClientAddress { get; init => field = Cut(value, MaxClientAddressLength); }

    public required double DurationMs { get; init; }

    /// <summary>What an administrative action did, e.g. how many entries a purge removed.</summary>
    public string? Detail { get; init => field = Cut(value, MaxDetailLength); }

    /// <summary>
    /// The first <paramref name="max"/> UTF-16 units, one fewer if the cut would split a surrogate
    /// pair, with U+0000 and lone surrogates replaced by U+FFFD.
    /// </summary>
    [return: System.Diagnostics.CodeAnalysis.NotNullIfNotNull(nameof(value))]
    private static string? Cut(string? value, int max)
    {
        if (value is not { } text)
        {
            return null;
        }

        if (text.AsSpan().IndexOfAnyInRange('\uD800', '\uDFFF') >= 0 || text.Contains('\0', StringComparison.Ordinal))
        {
            // UTF-8's replacement fallback turns each lone surrogate into one U+FFFD and keeps pairs.
            text = System.Text.Encoding.UTF8.GetString(System.Text.Encoding.UTF8.GetBytes(text)).Replace('\0', '\uFFFD');
        }

        return text.Length > max ? text[..(char.IsHighSurrogate(text[max - 1]) ? max - 1 : max)] : text;
    }
}
