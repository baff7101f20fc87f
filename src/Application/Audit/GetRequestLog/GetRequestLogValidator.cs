using System.Globalization;
using FluentValidation;

namespace LocalKeyManager.Application.Audit.GetRequestLog;

public sealed class GetRequestLogValidator : AbstractValidator<GetRequestLog>
{
    public GetRequestLogValidator()
    {
        RuleFor(q => q.MaxEntries)
            .Must(v => v is null || (int.TryParse(v, NumberStyles.None, CultureInfo.InvariantCulture, out var n) && n is >= 1 and <= GetRequestLog.MaxMaxEntries))
            .WithMessage($"maxEntries must be a whole number from 1 to {GetRequestLog.MaxMaxEntries}.");
        RuleFor(q => q.EarliestTime)
            .Must(BeAbsentOrIso).WithMessage("earliestTime must be an ISO-8601 time, e.g. 2026-11-29T14:51:12.123Z.");
        RuleFor(q => q.LatestTime)
            .Must(BeAbsentOrIso).WithMessage("latestTime must be an ISO-8601 time, e.g. 2026-11-29T14:51:12.123Z.");
        RuleFor(q => q)
            .Must(q => !IsoInstant.TryParse(q.EarliestTime, out var e) || !IsoInstant.TryParse(q.LatestTime, out var l) || e <= l)
            .WithName("latestTime").OverridePropertyName("latestTime")
            .WithMessage("latestTime must not be before earliestTime.");
    }

    private static bool BeAbsentOrIso(string? value) => value is null || IsoInstant.TryParse(value, out _);
}
