using System.Globalization;
using System.Text.RegularExpressions;

namespace LocalKeyManager.Infrastructure.Persistence.AuditChain;

/// <summary>
/// The sentence a purge's record ends with, saying which part of the chain it deleted, and its
/// reading by <see cref="ChainVerifier"/>: a log that starts past entry 1 must start where the
/// newest purge left it, else entries were deleted from its start without a purge.
/// </summary>
internal static partial class PurgeNote
{
    public static string Write(long headBefore, long firstKept) =>
        string.Create(CultureInfo.InvariantCulture, $"The chain went up to entry {headBefore} before the purge, which deleted every entry before entry {firstKept}.");

    /// <summary>
    /// Reads the note at the end of <paramref name="detail"/>. A purge recorded before 2026-12-03
    /// went by time and says only how far the chain went (<paramref name="firstKept"/> null).
    /// </summary>
    public static bool TryRead(string? detail, out long headBefore, out long? firstKept)
    {
        (headBefore, firstKept) = (0, null);
        if (detail is null || Note().Match(detail) is not { Success: true } match)
        {
            return false;
        }

        headBefore = long.Parse(match.Groups["head"].ValueSpan, CultureInfo.InvariantCulture);
        firstKept = match.Groups["kept"].Success ? long.Parse(match.Groups["kept"].ValueSpan, CultureInfo.InvariantCulture) : null;
        return true;
    }

    [GeneratedRegex(@"The chain went up to entry (?<head>[0-9]{1,18}) before the purge(?:, which deleted every entry before entry (?<kept>[0-9]{1,18}))?\.\z", RegexOptions.CultureInvariant)]
    private static partial Regex Note();
}
