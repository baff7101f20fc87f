using LocalKeyManager.Application.Audit;
using LocalKeyManager.Application.Audit.ClearRequestLog;
using LocalKeyManager.Application.Audit.GetRequestLog;
using LocalKeyManager.Application.UnitTests.Fakes;
using LocalKeyManager.Domain.Audit;
using NodaTime;
using NodaTime.Testing;

namespace LocalKeyManager.Application.UnitTests;

public sealed class RequestLogTests
{
    [Theory]
    [InlineData("0")]
    [InlineData("10001")]
    [InlineData("-1")]
    [InlineData("abc")]
    [InlineData("")]
    [InlineData("1.5")]
    public void GetRequestLog_refuses_maxEntries_outside_1_to_10000(string maxEntries)
    {
        new GetRequestLogValidator().Validate(new GetRequestLog(maxEntries, null, null)).IsValid.Should().BeFalse();
    }

    [Theory]
    [InlineData("1", null, null)]
    [InlineData("10000", "2026-11-29T14:51:12.123Z", "2026-11-29T15:00:00Z")]
    [InlineData(null, "2026-11-29T14:51:12.123", "2026-11-29T16:51:12.123+01:00")]
    [InlineData(null, "2026-11-29", null)]
    public void GetRequestLog_accepts_iso_times_and_counts_in_range(string? maxEntries, string? earliest, string? latest)
    {
        new GetRequestLogValidator().Validate(new GetRequestLog(maxEntries, earliest, latest)).IsValid.Should().BeTrue();
    }

    [Theory]
    [InlineData("yesterday", null)]
    [InlineData("2026-13-01T00:00:00Z", null)]
    [InlineData(null, "")]
    [InlineData("2026-11-29T15:00:00Z", "2026-11-29T14:00:00Z")]
    [InlineData("9999-12-31T23:59:59-01:00", null)]
    [InlineData(null, "9999-12-31T23:59:59.9999999-00:01")]
    [InlineData("0000-06-01", null)]
    [InlineData("0001-01-01T00:00:00+01:00", null)]
    public void GetRequestLog_refuses_unparsable_or_reversed_times(string? earliest, string? latest)
    {
        new GetRequestLogValidator().Validate(new GetRequestLog(null, earliest, latest)).IsValid.Should().BeFalse();
    }

    [Fact]
    public void IsoInstant_reads_zone_less_times_as_utc_and_writes_both_forms()
    {
        IsoInstant.TryParse("2026-11-29T14:51:12.123", out var zoneLess).Should().BeTrue();
        IsoInstant.TryParse("2026-11-29T15:51:12.123+01:00", out var offset).Should().BeTrue();

        zoneLess.Should().Be(Instant.FromUtc(2026, 11, 29, 14, 51, 12) + Duration.FromMilliseconds(123));
        offset.Should().Be(zoneLess);
        IsoInstant.ToIsoString(zoneLess).Should().Be("2026-11-29T14:51:12.123Z");
        IsoInstant.ToZoneLessString(zoneLess).Should().Be("2026-11-29T14:51:12.123");
    }

    [Theory]
    [InlineData("2026-11-29T15:51:12.123 01:00", true)]
    [InlineData("2026-11-29T15:51:12.123 0100", true)]
    [InlineData("2026-11-29T15:51:12.123  01:00", false)]
    [InlineData("2026-11-29 15:51:12.123 01:00", false)]
    [InlineData("2026-11-29T15:51:12.123 ab:cd", false)]
    public void IsoInstant_reads_an_offset_whose_plus_became_a_space_in_a_query_and_nothing_else_with_a_space(string text, bool read)
    {
        IsoInstant.TryParse(text, out var instant).Should().Be(read);

        if (read)
        {
            instant.Should().Be(Instant.FromUtc(2026, 11, 29, 14, 51, 12) + Duration.FromMilliseconds(123));
        }
    }

    [Theory]
    [InlineData("2026-11-29T15:51:12.123+01")]
    [InlineData("2026-11-29T15:51:12.123+0100")]
    [InlineData("2026-11-29T13:51:12.123-01")]
    [InlineData("20261129T145112.123Z")]
    [InlineData("20261129T155112.123+01")]
    [InlineData("20261129T155112,123+01:00")]
    [InlineData("20261129T145112.123")]
    public void IsoInstant_reads_offsets_in_whole_hours_and_the_basic_format(string text)
    {
        IsoInstant.TryParse(text, out var instant).Should().BeTrue();

        instant.Should().Be(Instant.FromUtc(2026, 11, 29, 14, 51, 12) + Duration.FromMilliseconds(123));
    }

    [Theory]
    [InlineData("2026-11-29T14Z", 14, 0)]
    [InlineData("2026-11-29T15+01", 14, 0)]
    [InlineData("20261129T14Z", 14, 0)]
    [InlineData("20261129T1451Z", 14, 51)]
    [InlineData("20261129T1551+0100", 14, 51)]
    [InlineData("2026-11-29T14:51Z", 14, 51)]
    public void IsoInstant_reads_times_to_the_hour_or_the_minute(string text, int hour, int minute)
    {
        IsoInstant.TryParse(text, out var instant).Should().BeTrue();

        instant.Should().Be(Instant.FromUtc(2026, 11, 29, hour, minute));
    }

    [Theory]
    [InlineData("2026-11-29T15:51:12+1")]
    [InlineData("2026-1129T15:51:12Z")]
    [InlineData("20261129T15:51:12Z")]
    [InlineData("20261129T155112+01:0")]
    public void IsoInstant_refuses_forms_that_mix_or_cut_the_formats(string text)
    {
        IsoInstant.TryParse(text, out _).Should().BeFalse();
    }

    [Fact]
    public void IsoInstant_reads_times_from_the_first_instant_every_database_holds()
    {
        IsoInstant.TryParse("0001-01-01T00:00:00Z", out var first).Should().BeTrue();
        first.Should().Be(IsoInstant.Earliest);
        IsoInstant.TryParse("0000-12-31T23:59:59.999Z", out _).Should().BeFalse();
    }

    [Fact]
    public void IsoInstant_reads_the_lowercase_t_and_z_that_RFC_3339_allows()
    {
        IsoInstant.TryParse("2026-11-29t14:51:12.123z", out var instant).Should().BeTrue();
        instant.Should().Be(Instant.FromUtc(2026, 11, 29, 14, 51, 12) + Duration.FromMilliseconds(123));
    }

    [Theory]
    [InlineData("2026-12-03T19:00:00.1234567891234Z", "2026-12-03T19:00:00.123456789Z")]
    [InlineData("2026-12-03T20:00:00,99999999999+01:00", "2026-12-03T19:00:00.999999999Z")]
    [InlineData("20261203T190000.0000000001Z", "2026-12-03T19:00:00Z")]
    public void IsoInstant_reads_a_fraction_of_any_length_to_the_nanosecond(string text, string expected)
    {
        IsoInstant.TryParse(text, out var instant).Should().BeTrue();
        instant.Should().Be(NodaTime.Text.InstantPattern.ExtendedIso.Parse(expected).Value);
    }

    [Theory]
    [InlineData("2026-337", 2026, 12, 3, 0)]
    [InlineData("2026337", 2026, 12, 3, 0)]
    [InlineData("2026-337T14:51Z", 2026, 12, 3, 14)]
    [InlineData("2026337T1551+01", 2026, 12, 3, 14)]
    [InlineData("2024-366", 2024, 12, 31, 0)]
    [InlineData("2026-W49-4", 2026, 12, 3, 0)]
    [InlineData("2026W494", 2026, 12, 3, 0)]
    [InlineData("2026-W49", 2026, 11, 30, 0)]
    [InlineData("2026W49", 2026, 11, 30, 0)]
    [InlineData("2026-w49-4t14:51:12.5z", 2026, 12, 3, 14)]
    [InlineData("2026W494T145112Z", 2026, 12, 3, 14)]
    [InlineData("2020-W53-7", 2021, 1, 3, 0)]
    [InlineData("2026-W53-1", 2026, 12, 28, 0)]
    [InlineData("2026-W01-1", 2025, 12, 29, 0)]
    [InlineData("20261203", 2026, 12, 3, 0)]
    public void IsoInstant_reads_ordinal_and_week_dates_and_the_basic_calendar_date(string text, int year, int month, int day, int hour)
    {
        IsoInstant.TryParse(text, out var instant).Should().BeTrue();
        var utc = instant.InUtc();
        (utc.Year, utc.Month, utc.Day, utc.Hour).Should().Be((year, month, day, hour));
    }

    [Theory]
    [InlineData("2026-366")]
    [InlineData("2026-000")]
    [InlineData("2025-W53-1")]
    [InlineData("2026-W00-1")]
    [InlineData("2026-W49-8")]
    [InlineData("2026-W49-0")]
    [InlineData("2026-W494")]
    [InlineData("2026W49-4")]
    [InlineData("2026-337T1451Z")]
    [InlineData("2026337T14:51Z")]
    [InlineData("2026-W49-4T1451Z")]
    [InlineData("9999-W52-7")]
    [InlineData("2026-33")]
    [InlineData("2026-3370")]
    [InlineData("2026-W4")]
    [InlineData("2026-Wab-1")]
    public void IsoInstant_refuses_ordinal_and_week_dates_that_name_no_day_or_mix_the_formats(string text)
    {
        IsoInstant.TryParse(text, out _).Should().BeFalse();
    }

    [Fact]
    public async Task GetRequestLog_passes_defaults_and_bounds_to_the_log()
    {
        var log = new RecordingLog();

        await new GetRequestLogHandler(log).Handle(new GetRequestLog(null, "2026-11-29T00:00:00Z", null), TestContext.Current.CancellationToken);

        log.Query.Should().Be((100, Instant.FromUtc(2026, 11, 29, 0, 0), Instant.FromUtc(9999, 12, 31, 23, 59, 59)));
    }

    [Fact]
    public async Task ClearRequestLog_records_who_purged_how_many_in_the_purge_itself()
    {
        var clock = new FakeClock(Instant.FromUtc(2026, 11, 29, 12, 0));
        var log = new RecordingLog { ToPurge = 42 };
        var origin = new RequestOrigin("admin-ops", "user-7", "DELETE", "/key-management/v1/request-log", "10.0.0.9", clock.GetCurrentInstant());

        var purged = await new ClearRequestLogHandler(log, clock).Handle(new ClearRequestLog(origin), TestContext.Current.CancellationToken);

        purged.Should().Be(42);
        log.PurgedUpTo.Should().Be(clock.GetCurrentInstant());
        log.Record.Should().NotBeNull();
        log.Record!.CredentialId.Should().Be("admin-ops");
        log.Record.UserId.Should().Be("user-7");
        log.Record.Status.Should().Be(200);
        log.Record.Detail.Should().Be("Purged 42 request-log entries up to 2026-11-29T12:00:00.000Z.");
    }

    [Fact]
    public void An_entry_cuts_text_to_its_columns_without_splitting_a_character()
    {
        // U+1F600 is two UTF-16 units; at the cut it would leave half a character, which no database stores.
        var userId = new string('u', RequestLogEntry.MaxUserIdLength - 1) + "\U0001F600";

        var entry = new RequestLogEntry
        {
            Id = Guid.NewGuid(),
            Timestamp = Instant.FromUtc(2026, 11, 30, 12, 0),
            CredentialId = "genesys-prod",
            UserId = userId,
            RequestMethod = "VERYLONGMETHODNAMEXYZ",
            RequestUri = "/key-management/v1/" + new string('p', 3000),
            Status = 405,
            DurationMs = 1,
        };

        entry.UserId.Should().Be(new string('u', RequestLogEntry.MaxUserIdLength - 1));
        entry.RequestMethod.Should().Be("VERYLONGMETHODNA");
        entry.RequestUri.Should().HaveLength(RequestLogEntry.MaxRequestUriLength).And.StartWith("/key-management/v1/ppp");
        entry.CredentialId.Should().Be("genesys-prod", "a value within its column is kept as it is");
        (entry with { Detail = new string('d', 5000) }).Detail.Should().HaveLength(RequestLogEntry.MaxDetailLength);
    }

    [Theory] // escaped, as xUnit cannot pass a lone surrogate to a test as it is
    [InlineData(@"a\u0000b", @"a\uFFFDb")]
    [InlineData(@"a\uD800b", @"a\uFFFDb")]
    [InlineData(@"a\uDC00", @"a\uFFFD")]
    [InlineData(@"\uD800\uD83D\uDE00\uDE00", @"\uFFFD\uD83D\uDE00\uFFFD")]
    [InlineData(@"user \uD83D\uDE00 ok", @"user \uD83D\uDE00 ok")]
    public void An_entry_records_what_no_database_can_store_as_the_replacement_character(string sent, string recorded)
    {
        var entry = new RequestLogEntry
        {
            Id = Guid.NewGuid(),
            Timestamp = Instant.FromUtc(2026, 12, 1, 12, 0),
            CredentialId = "genesys-prod",
            UserId = System.Text.RegularExpressions.Regex.Unescape(sent),
            RequestMethod = "POST",
            RequestUri = "/key-management/v1/decrypt",
            Status = 400,
            KeypairId = System.Text.RegularExpressions.Regex.Unescape(sent),
            DurationMs = 1,
        };

        entry.UserId.Should().Be(System.Text.RegularExpressions.Regex.Unescape(recorded));
        entry.KeypairId.Should().Be(System.Text.RegularExpressions.Regex.Unescape(recorded));
    }
}
