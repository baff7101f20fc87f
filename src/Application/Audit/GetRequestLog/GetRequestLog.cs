using LocalKeyManager.Domain.Audit;
using Mediator;
using NodaTime;

namespace LocalKeyManager.Application.Audit.GetRequestLog;

/// <summary>
/// Reads the request log, newest first. The parameters arrive as the query string has them;
/// the validator refuses anything out of range or unparsable. Both bounds are inclusive.
/// </summary>
public sealed record GetRequestLog(string? MaxEntries, string? EarliestTime, string? LatestTime) : IQuery<IReadOnlyList<RequestLogEntry>>
{
    public const int DefaultMaxEntries = 100;
    public const int MaxMaxEntries = 10_000;
}

public sealed class GetRequestLogHandler(IRequestLog log) : IQueryHandler<GetRequestLog, IReadOnlyList<RequestLogEntry>>
{
    // Open bounds, within every database's timestamp range.
    private static readonly Instant Beginning = IsoInstant.Earliest;
    private static readonly Instant End = Instant.FromUtc(9999, 12, 31, 23, 59, 59);

    public async ValueTask<IReadOnlyList<RequestLogEntry>> Handle(GetRequestLog query, CancellationToken cancellationToken)
    {
        var max = query.MaxEntries is null ? GetRequestLog.DefaultMaxEntries : int.Parse(query.MaxEntries, System.Globalization.CultureInfo.InvariantCulture);
        var earliest = IsoInstant.TryParse(query.EarliestTime, out var e) ? e : Beginning;
        var latest = IsoInstant.TryParse(query.LatestTime, out var l) ? l : End;
        return await log.QueryAsync(max, earliest, latest, cancellationToken);
    }
}
