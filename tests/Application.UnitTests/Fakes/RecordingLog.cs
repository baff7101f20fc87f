using LocalKeyManager.Domain.Audit;
using NodaTime;

namespace LocalKeyManager.Application.UnitTests.Fakes;

/// <summary>A request log that remembers what it was asked to do.</summary>
internal sealed class RecordingLog : IRequestLog
{
    public (int, Instant, Instant)? Query { get; private set; }

    public int ToPurge { get; init; }

    public Instant? PurgedUpTo { get; private set; }

    public RequestLogEntry? Record { get; private set; }

    public Task AppendAsync(RequestLogEntry entry, CancellationToken cancellationToken) => Task.CompletedTask;

    public Task AppendAloneAsync(RequestLogEntry entry, CancellationToken cancellationToken) =>
        throw new NotSupportedException("Not used by the queries under test.");

    public Task<bool> AppendIfFirstUseAsync(RequestLogEntry entry, Domain.Credentials.NonceUse use, CancellationToken cancellationToken) =>
        throw new NotSupportedException("Not used by the queries under test.");

    public Task<IReadOnlyList<RequestLogEntry>> QueryAsync(int maxEntries, Instant earliest, Instant latest, CancellationToken cancellationToken)
    {
        Query = (maxEntries, earliest, latest);
        return Task.FromResult<IReadOnlyList<RequestLogEntry>>([]);
    }

    public Task<int> PurgeAsync(Instant upTo, Func<int, RequestLogEntry> record, CancellationToken cancellationToken)
    {
        PurgedUpTo = upTo;
        Record = record(ToPurge);
        return Task.FromResult(ToPurge);
    }
}
