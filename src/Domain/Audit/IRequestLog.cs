using NodaTime;

namespace LocalKeyManager.Domain.Audit;

public interface IRequestLog
{
    /// <summary>Commits the entry durably before the task completes.</summary>
    Task AppendAsync(RequestLogEntry entry, CancellationToken cancellationToken);

    /// <summary>
    /// Appends the entry in a transaction of its own, waiting as long as the database takes: when
    /// the task completes the entry is committed, and when it fails the entry is not (the command
    /// line, which must know which before it goes on; a request instead waits at most a few seconds
    /// for the group commit, whose write may still commit after the wait).
    /// </summary>
    Task AppendAloneAsync(RequestLogEntry entry, CancellationToken cancellationToken);

    /// <summary>
    /// Records the request's Hawk nonce use (as <see cref="Credentials.IReplayGuard"/> does) and appends
    /// its entry, committed together. True once both are committed; false when the use was recorded
    /// before (a replay), and then nothing is appended.
    /// </summary>
    Task<bool> AppendIfFirstUseAsync(RequestLogEntry entry, Credentials.NonceUse use, CancellationToken cancellationToken);

    /// <summary>Entries with <paramref name="earliest"/> ≤ timestamp ≤ <paramref name="latest"/>, newest first.</summary>
    Task<IReadOnlyList<RequestLogEntry>> QueryAsync(int maxEntries, Instant earliest, Instant latest, CancellationToken cancellationToken);

    /// <summary>
    /// Deletes every entry up to <paramref name="upTo"/> and appends <paramref name="record"/>,
    /// the statement of who purged what, in one transaction: a purge is never unrecorded.
    /// <paramref name="record"/> is built from the number of entries removed.
    /// </summary>
    Task<int> PurgeAsync(Instant upTo, Func<int, RequestLogEntry> record, CancellationToken cancellationToken);
}
