using System.Globalization;
using NodaTime;
using NodaTime.Text;

namespace LocalKeyManager.Application.Audit.GetRequestLog;

/// <summary>
/// Reads an ISO-8601 time: an instant with <c>Z</c> or an offset, or a zone-less date-time or
/// date, taken as UTC (the original service wrote zone-less times, and our log's
/// <c>timestampString</c> is zone-less UTC).
/// </summary>
public static class IsoInstant
{
    /// <summary>
    /// Extended (2026-11-29T14:51) and basic (20261129T145112) date-times, to the hour, minute or
    /// second (ISO 8601's reduced precision), with a fraction of the second.
    /// </summary>
    private static readonly string[] DateTimes =
    [
        "uuuu'-'MM'-'dd'T'HH",
        "uuuu'-'MM'-'dd'T'HH':'mm;FFFFFFFFF",
        "uuuu'-'MM'-'dd'T'HH':'mm':'ss;FFFFFFFFF",
        "uuuuMMdd'T'HH",
        "uuuuMMdd'T'HHmm",
        "uuuuMMdd'T'HHmmss;FFFFFFFFF",
    ];

    /// <summary>Z, or an offset of hours and minutes (+01:00, +0100) or whole hours (+01).</summary>
    private static readonly string[] Offsets = ["o<Z+HH:mm>", "o<Z+HHmm>", "o<Z+HH>"];

    private static readonly IPattern<OffsetDateTime>[] WithOffset =
        [.. DateTimes.SelectMany(_ => Offsets, (dateTime, offset) => OffsetDateTimePattern.CreateWithInvariantCulture(dateTime + offset))];

    private static readonly IPattern<LocalDateTime>[] ZoneLess =
        [.. DateTimes.Select(LocalDateTimePattern.CreateWithInvariantCulture)];

    /// <summary>
    /// The first instant a time may name: 0001-01-01T00:00:00Z. Earlier ones read (NodaTime has
    /// year 0 and before) but no database's date type holds them (SQL Server's datetime2 starts
    /// here), so they are refused like any other time out of range.
    /// </summary>
    public static readonly Instant Earliest = Instant.FromUtc(1, 1, 1, 0, 0);

    public static bool TryParse(string? text, out Instant instant)
    {
        if (TryParseAny(text, out instant) && instant >= Earliest)
        {
            return true;
        }

        instant = default;
        return false;
    }

    private static bool TryParseAny(string? text, out Instant instant)
    {
        instant = default;
        if (string.IsNullOrWhiteSpace(text))
        {
            return false;
        }

        // RFC 3339 allows a lowercase 't' and 'z'; no other letter is valid in these forms.
        text = text.Trim().ToUpperInvariant();

        // An offset's '+' sent unencoded in a query string arrives as a space (form decoding:
        // ?earliestTime=2026-11-30T13:54:00+01:00). No other space is valid in these forms.
        var space = text.IndexOf(' ', StringComparison.Ordinal);
        if (space > 0 && space == text.LastIndexOf(' '))
        {
            text = string.Concat(text.AsSpan(0, space), "+", text.AsSpan(space + 1));
        }

        foreach (var pattern in WithOffset)
        {
            var result = pattern.Parse(text);
            if (result.Success)
            {
                // 9999-12-31T23:59:59-01:00 reads, but is past the last instant there is.
                return TryToInstant(result.Value, out instant);
            }
        }

        foreach (var pattern in ZoneLess)
        {
            var result = pattern.Parse(text);
            if (result.Success)
            {
                instant = result.Value.InUtc().ToInstant();
                return true;
            }
        }

        var date = LocalDatePattern.Iso.Parse(text);
        if (date.Success)
        {
            instant = date.Value.AtStartOfDayInZone(DateTimeZone.Utc).ToInstant();
            return true;
        }

        return false;
    }

    private static bool TryToInstant(OffsetDateTime time, out Instant instant)
    {
        try
        {
            instant = time.ToInstant();
            return true;
        }
        catch (OverflowException)
        {
            instant = default;
            return false;
        }
    }

    /// <summary>The zone-less UTC form the original service used: <c>2026-11-29T14:51:12.123</c>.</summary>
    public static string ToZoneLessString(Instant instant) =>
        instant.InUtc().LocalDateTime.ToString("uuuu'-'MM'-'dd'T'HH':'mm':'ss'.'fff", CultureInfo.InvariantCulture);

    /// <summary>ISO-8601 UTC with milliseconds: <c>2026-11-29T14:51:12.123Z</c>.</summary>
    public static string ToIsoString(Instant instant) =>
        instant.InUtc().LocalDateTime.ToString("uuuu'-'MM'-'dd'T'HH':'mm':'ss'.'fff'Z'", CultureInfo.InvariantCulture);
}
