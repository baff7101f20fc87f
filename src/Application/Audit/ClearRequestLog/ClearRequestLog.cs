using LocalKeyManager.Domain.Audit;
using Mediator;
using NodaTime;

namespace LocalKeyManager.Application.Audit.ClearRequestLog;

/// <summary>
/// Empties the request log up to now. The purge and the entry that records it (who, how many,
/// up to when) commit together, so the log always says who emptied it.
/// </summary>
public sealed record ClearRequestLog(RequestOrigin Origin) : ICommand<int>;

public sealed class ClearRequestLogHandler(IRequestLog log, IClock clock) : ICommandHandler<ClearRequestLog, int>
{
    public async ValueTask<int> Handle(ClearRequestLog command, CancellationToken cancellationToken)
    {
        var origin = command.Origin;
        var upTo = RequestLogEntry.ToLogPrecision(clock.GetCurrentInstant());
        return await log.PurgeAsync(
            upTo,
            purged => new RequestLogEntry
            {
                Id = Guid.NewGuid(),
                Timestamp = upTo,
                CredentialId = origin.CredentialId,
                UserId = origin.UserId,
                RequestMethod = origin.RequestMethod,
                RequestUri = origin.RequestUri,
                ClientAddress = origin.ClientAddress,
                Status = 200,
                DurationMs = (clock.GetCurrentInstant() - origin.StartedAt).TotalMilliseconds,
                Detail = $"Purged {purged} request-log entries up to {upTo}.",
            },
            cancellationToken);
    }
}
