using System.Security.Cryptography;
using System.Text;
using NodaTime;

namespace LocalKeyManager.Infrastructure.Persistence;

/// <summary>The <c>hawk_nonces</c> table: one row per accepted (credential, nonce, ts).</summary>
public sealed class NonceRow
{
    /// <summary>The <c>nonce</c> column's length; <see cref="Nonce"/> never exceeds it.</summary>
    public const int MaxNonceLength = 512;

    /// <summary>
    /// Nonces up to this long are kept as sent. Shorter than the column: SQL Server's clustered
    /// key (credential id, nonce, ts) may hold at most 900 bytes, 2 per character.
    /// </summary>
    public const int KeptAsSentUpTo = 128;

    private const string DigestPrefix = "sha256:";

    public required string CredentialId { get; set; }

    /// <summary>
    /// The nonce as the client sent it, or, when it is longer than <see cref="KeptAsSentUpTo"/>,
    /// <c>sha256:</c> and the base64 SHA-256 of it (51 characters). Hawk sets no limit of its own
    /// (the reference accepts any nonce its 4096-character header can hold); the digest keeps such
    /// a nonce a key of fixed length, the same on every database, and still seen once only.
    /// A short nonce that itself starts with <c>sha256:</c> is stored as its digest too, so that
    /// it never stands for a long nonce whose digest it spells.
    /// </summary>
    public required string Nonce { get; set => field = Stored(value); }

    public long Ts { get; set; }

    public Instant SeenAt { get; set; }

    private static string Stored(string nonce) =>
        nonce.Length <= KeptAsSentUpTo && !nonce.StartsWith(DigestPrefix, StringComparison.Ordinal)
            ? nonce
            : DigestPrefix + Convert.ToBase64String(SHA256.HashData(Encoding.UTF8.GetBytes(nonce)));
}
