using LocalKeyManager.Domain.Audit;
using Mediator;
using NodaTime;

namespace LocalKeyManager.Application.Audit.ClearRequestLog;

/// <summary>
/// Empties the request log up to now. The purge and the entry that records it (who, how many,
/// up to when) commit together, so the log always says who emptied it.
/// </summary>
/// <param name="UpTo">Purge entries up to this time (default: now), e.g. a retention cut-off.</param>
public sealed record ClearRequestLog(RequestOrigin Origin, Instant? UpTo = null) : ICommand<int>;

public sealed class ClearRequestLogHandler(IRequestLog log, IClock clock) : ICommandHandler<ClearRequestLog, int>
{
    public async ValueTask<int> Handle(ClearRequestLog command, CancellationToken cancellationToken)
    {
        var origin = command.Origin;
        var now = RequestLogEntry.ToLogPrecision(clock.GetCurrentInstant());
        var upTo = command.UpTo is { } cutoff ? RequestLogEntry.ToLogPrecision(cutoff) : now;
        return await log.PurgeAsync(
            upTo,
            purged => new RequestLogEntry
            {
                Id = Guid.CreateVersion7(now.ToDateTimeOffset()),
                Timestamp = now,
                CredentialId = origin.CredentialId,
                UserId = origin.UserId,
                RequestMethod = origin.RequestMethod,
                RequestUri = origin.RequestUri,
                ClientAddress = origin.ClientAddress,
                Status = 200,
                DurationMs = (clock.GetCurrentInstant() - origin.StartedAt).TotalMilliseconds,
                // To the millisecond, the precision the purge went by, written as the log's timestamps are.
                Detail = $"Purged {purged} request-log entries up to {GetRequestLog.IsoInstant.ToIsoString(upTo)}.",
            },
            cancellationToken);
    }
}
