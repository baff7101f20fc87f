using System.Globalization;
using NodaTime;
using NodaTime.Calendars;
using NodaTime.Text;

namespace LocalKeyManager.Application.Audit.GetRequestLog;

/// <summary>
/// Reads an ISO-8601 time: an instant with <c>Z</c> or an offset, or a zone-less date-time or
/// date, taken as UTC (the original service wrote zone-less times, and our log's
/// <c>timestampString</c> is zone-less UTC). The date may be a calendar date (2026-12-03), an
/// ordinal date (2026-337) or a week date (2026-W49-4, or 2026-W49 for its Monday), extended or basic.
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

        if (CalendarDate(text) is not { } calendar)
        {
            return false;
        }

        text = WithNanosecondsAtMost(calendar);
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

        foreach (var pattern in Dates)
        {
            var date = pattern.Parse(text);
            if (date.Success)
            {
                instant = date.Value.AtStartOfDayInZone(DateTimeZone.Utc).ToInstant();
                return true;
            }
        }

        return false;
    }

    private static readonly IPattern<LocalDate>[] Dates = [LocalDatePattern.Iso, LocalDatePattern.CreateWithInvariantCulture("uuuuMMdd")];

    /// <summary>
    /// <paramref name="text"/> with an ordinal or week date written as the calendar date it names,
    /// in the same format (extended or basic), so that the patterns above read the rest; the text
    /// as it is when its date is of neither kind; null when it is one of them but names no day
    /// (day 366 of a common year, week 53 of a year with 52).
    /// </summary>
    private static string? CalendarDate(string text)
    {
        var end = text.IndexOf('T', StringComparison.Ordinal);
        var date = end < 0 ? text : text[..end];
        if (date.Length < 7 || !Digits(date.AsSpan(0, 4)))
        {
            return text;
        }

        var year = int.Parse(date.AsSpan(0, 4), CultureInfo.InvariantCulture);
        var extended = date[4] == '-';
        var rest = date.AsSpan(extended ? 5 : 4);
        LocalDate? day;
        if (rest.Length == 3 && Digits(rest) && (extended || date.Length == 7))
        {
            // Ordinal: 2026-337, 2026337.
            var ordinal = int.Parse(rest, CultureInfo.InvariantCulture);
            day = ordinal >= 1 && ordinal <= CalendarSystem.Iso.GetDaysInYear(year) ? new LocalDate(year, 1, 1).PlusDays(ordinal - 1) : null;
        }
        else if (rest.Length >= 3 && rest[0] == 'W' && Digits(rest.Slice(1, 2)))
        {
            // Week: 2026-W49-4, 2026-W49, 2026W494, 2026W49.
            var weekDay = rest[3..];
            if (extended && weekDay.Length == 2 && weekDay[0] == '-')
            {
                weekDay = weekDay[1..];
            }
            else if (weekDay.Length > (extended ? 0 : 1))
            {
                return text;
            }

            if (weekDay.Length == 1 && !Digits(weekDay))
            {
                return text;
            }

            var week = int.Parse(rest.Slice(1, 2), CultureInfo.InvariantCulture);
            var dayOfWeek = weekDay.Length == 1 ? weekDay[0] - '0' : 1;
            try
            {
                day = week >= 1 && week <= WeekYearRules.Iso.GetWeeksInWeekYear(year) && dayOfWeek is >= 1 and <= 7
                    ? WeekYearRules.Iso.GetLocalDate(year, week, (IsoDayOfWeek)dayOfWeek)
                    : null;
            }
            catch (ArgumentOutOfRangeException)
            {
                // A week of 9999 that ends in the year 10000, past the calendar's last day.
                day = null;
            }
        }
        else
        {
            return text;
        }

        return day is { } found
            ? found.ToString(extended ? "uuuu'-'MM'-'dd" : "uuuuMMdd", CultureInfo.InvariantCulture) + text[date.Length..]
            : null;
    }

    /// <summary>
    /// <paramref name="text"/> with a fraction of the second cut to 9 digits: ISO 8601 sets no limit,
    /// and a time is kept to the nanosecond (the log's own times are to the millisecond).
    /// </summary>
    private static string WithNanosecondsAtMost(string text)
    {
        var time = text.IndexOf('T', StringComparison.Ordinal);
        var separator = time < 0 ? -1 : text.IndexOfAny(['.', ','], time);
        if (separator < 0)
        {
            return text;
        }

        var fraction = text.AsSpan(separator + 1);
        var digits = fraction.IndexOfAnyExceptInRange('0', '9') is var end and >= 0 ? end : fraction.Length;
        return digits > 9 ? string.Concat(text.AsSpan(0, separator + 10), text.AsSpan(separator + 1 + digits)) : text;
    }

    private static bool Digits(ReadOnlySpan<char> text) => !text.IsEmpty && !text.ContainsAnyExceptInRange('0', '9');

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
