using System.Text.RegularExpressions;

namespace LocalKeyManager.Infrastructure.Hawk;

/// <summary>
/// Parses <c>Authorization: Hawk ...</c> with the reference implementation's rules
/// (@hapi/hawk <c>utils.parseAuthorizationHeader</c>): at most 4096 characters, attributes
/// <c>id ts nonce hash ext mac app dlg</c> in any order and each at most once, values of the
/// allowed characters only (no <c>"</c> or <c>\</c>), and <c>id ts nonce mac</c> required.
/// </summary>
public static partial class HawkHeaderParser
{
    public const int MaxHeaderLength = 4096;

    private static readonly string[] Keys = ["id", "ts", "nonce", "hash", "ext", "mac", "app", "dlg"];

    /// <summary>
    /// Returns the header, or null with <paramref name="failure"/> saying why. A header that is
    /// absent or of another scheme is <see cref="HawkFailureKind.Missing"/>; one that is Hawk but
    /// malformed is <see cref="HawkFailureKind.Malformed"/>.
    /// </summary>
    public static HawkHeader? Parse(string? header, out HawkFailure? failure)
    {
        failure = null;
        if (string.IsNullOrEmpty(header))
        {
            failure = HawkFailure.Missing;
            return null;
        }

        if (header.Length > MaxHeaderLength)
        {
            failure = HawkFailure.Malformed("Header length too long");
            return null;
        }

        var parts = SchemeRegex().Match(header);
        if (!parts.Success)
        {
            failure = HawkFailure.Malformed("Invalid header syntax");
            return null;
        }

        if (!parts.Groups[1].Value.Equals("hawk", StringComparison.OrdinalIgnoreCase))
        {
            failure = HawkFailure.Missing;
            return null;
        }

        var attributesText = parts.Groups[2].Value;
        if (attributesText.Length == 0)
        {
            failure = HawkFailure.Malformed("Invalid header syntax");
            return null;
        }

        var attributes = new Dictionary<string, string>(StringComparer.Ordinal);
        string? error = null;

        // As the reference does: every well-formed pair is removed; anything left over, or any
        // pair that broke a rule, makes the header malformed. The last rule broken is reported.
        var leftover = AttributeRegex().Replace(attributesText, match =>
        {
            var name = match.Groups[1].Value;
            var value = match.Groups[2].Value;
            if (Array.IndexOf(Keys, name) < 0)
            {
                error = "Unknown attribute: " + name;
                return "!";
            }

            if (!ValueRegex().IsMatch(value))
            {
                error = "Bad attribute value: " + name;
                return "!";
            }

            if (!attributes.TryAdd(name, value))
            {
                error = "Duplicate attribute: " + name;
                return "!";
            }

            return string.Empty;
        });

        if (leftover.Length != 0)
        {
            failure = HawkFailure.Malformed(error ?? "Bad header format");
            return null;
        }

        if (!attributes.TryGetValue("id", out var id) || !attributes.TryGetValue("ts", out var ts) ||
            !attributes.TryGetValue("nonce", out var nonce) || !attributes.TryGetValue("mac", out var mac))
        {
            failure = HawkFailure.Malformed("Missing attributes");
            return null;
        }

        return new HawkHeader(
            id,
            ts,
            nonce,
            mac,
            attributes.GetValueOrDefault("hash"),
            attributes.GetValueOrDefault("ext"),
            attributes.GetValueOrDefault("app"),
            attributes.GetValueOrDefault("dlg"));
    }

    // JavaScript's \w is ASCII; ECMAScript mode gives .NET the same classes. \z, not $: .NET's
    // $ also matches before a final newline, JavaScript's does not.
    [GeneratedRegex(@"^(\w+)(?:\s+([^\n\r\u2028\u2029]*))?\z", RegexOptions.ECMAScript | RegexOptions.CultureInvariant)]
    private static partial Regex SchemeRegex();

    [GeneratedRegex(@"(\w+)=""([^""\\]*)""\s*(?:,\s*|\z)", RegexOptions.ECMAScript | RegexOptions.CultureInvariant)]
    private static partial Regex AttributeRegex();

    [GeneratedRegex(@"^[ \w\!#\$%&'\(\)\*\+,\-\.\/\:;<\=>\?@\[\]\^`\{\|\}~]+\z", RegexOptions.ECMAScript | RegexOptions.CultureInvariant)]
    private static partial Regex ValueRegex();
}
