using System.Globalization;
using System.Security.Cryptography;
using System.Text;
using LocalKeyManager.Domain.Audit;

namespace LocalKeyManager.Infrastructure.Persistence.AuditChain;

/// <summary>
/// Tamper evidence for the request log: entry n stores SHA-256(hash of entry n-1 ‖ its own
/// canonical content ‖ n). Changing, inserting or removing an entry breaks every link after it;
/// the chain head (newest sequence number and hash) catches removal at the end.
/// </summary>
public static class ChainHashing
{
    public static readonly byte[] Genesis = new byte[32];

    public static byte[] Hash(ReadOnlySpan<byte> previous, long seq, RequestLogEntry entry)
    {
        using var hash = IncrementalHash.CreateHash(HashAlgorithmName.SHA256);
        hash.AppendData(previous);
        hash.AppendData(Encoding.UTF8.GetBytes(Canonical(seq, entry)));
        return hash.GetHashAndReset();
    }

    /// <summary>Every field, in a fixed order, each prefixed by its length so no two entries read the same.</summary>
    private static string Canonical(long seq, RequestLogEntry e)
    {
        var fields = new[]
        {
            seq.ToString(CultureInfo.InvariantCulture),
            e.Id.ToString("D"),
            e.Timestamp.ToUnixTimeTicks().ToString(CultureInfo.InvariantCulture),
            e.CredentialId,
            e.UserId,
            e.RequestMethod,
            e.RequestUri,
            e.Status.ToString(CultureInfo.InvariantCulture),
            e.KeypairId ?? "\0",
            e.ClientAddress ?? "\0",
            e.DurationMs.ToString("R", CultureInfo.InvariantCulture),
            e.Detail ?? "\0",
        };
        var builder = new StringBuilder(256);
        foreach (var field in fields)
        {
            builder.Append(field.Length.ToString(CultureInfo.InvariantCulture)).Append(':').Append(field).Append('\n');
        }

        return builder.ToString();
    }
}
