using LocalKeyManager.Application.Audit;
using LocalKeyManager.Application.Audit.ClearRequestLog;
using LocalKeyManager.Domain.Audit;
using LocalKeyManager.Infrastructure.Jobs;
using Mediator;
using NodaTime;

namespace LocalKeyManager.Api.Jobs;

/// <summary>
/// <c>RequestLog:RetentionDays</c> (0, the default, keeps everything): once an hour, purges
/// entries older than that, leaving a checkpoint entry (credential <c>system</c>) that says how
/// many went, so the hash chain stays verifiable and the purge is on record.
/// </summary>
public sealed class RequestLogRetentionJob(IServiceScopeFactory scopes, Microsoft.Extensions.Options.IOptions<RequestLogOptions> options, IClock clock, ILogger<RequestLogRetentionJob> logger)
    : PeriodicJob(scopes, TimeSpan.FromHours(1), logger)
{
    protected override async Task RunOnceAsync(IServiceProvider services, CancellationToken cancellationToken)
    {
        var days = options.Value.RetentionDays;
        if (days <= 0)
        {
            return;
        }

        var now = clock.GetCurrentInstant();
        var origin = new RequestOrigin(RequestLogEntry.SystemCredentialId, RequestLogEntry.NoUserId, "PURGE", "retention", null, now);
        await services.GetRequiredService<ISender>().Send(new ClearRequestLog(origin, now - Duration.FromDays(days)), cancellationToken);
    }
}
