using LocalKeyManager.Domain.Audit;
using LocalKeyManager.Domain.Credentials;
using LocalKeyManager.Infrastructure.Persistence.GroupCommit;
using Microsoft.EntityFrameworkCore;
using NodaTime;

namespace LocalKeyManager.Infrastructure.Persistence.Repositories;

internal sealed class EfRequestLog(DatabaseWork database, IDatabaseDialect dialect, GroupCommitWriter writer) : IRequestLog
{
    /// <summary>Through the group commit: concurrent requests share one transaction.</summary>
    public Task AppendAsync(RequestLogEntry entry, CancellationToken cancellationToken) => writer.AppendAsync(entry, cancellationToken);

    /// <summary>One group-commit write for both rows: the request waits for one commit, not two.</summary>
    public Task<bool> AppendIfFirstUseAsync(RequestLogEntry entry, NonceUse use, CancellationToken cancellationToken) =>
        writer.AppendIfFirstUseAsync(new NonceRow { CredentialId = use.CredentialId, Nonce = use.Nonce, Ts = use.Timestamp, SeenAt = use.SeenAt }, entry, cancellationToken);

    public async Task<IReadOnlyList<RequestLogEntry>> QueryAsync(int maxEntries, Instant earliest, Instant latest, CancellationToken cancellationToken) =>
        await database.RunAsync(
            db => db.RequestLog.AsNoTracking()
                .Where(e => e.Timestamp >= earliest && e.Timestamp <= latest)
                .OrderByDescending(e => e.Timestamp)
                .Take(maxEntries)
                .ToList(),
            cancellationToken);

    public Task AppendAloneAsync(RequestLogEntry entry, CancellationToken cancellationToken) =>
        database.RunAsync(db => db.Database.CreateExecutionStrategy().Execute(() => AppendAlone(db, entry)), cancellationToken);

    private bool AppendAlone(KeyManagerDbContext db, RequestLogEntry entry)
    {
        using var transaction = db.Database.BeginTransaction();
        AuditChain.ChainAppender.AppendAsync(db, dialect, [entry], CancellationToken.None).GetAwaiter().GetResult();
        transaction.Commit();
        return true;
    }

    public Task<int> PurgeAsync(Instant upTo, Func<int, RequestLogEntry> record, CancellationToken cancellationToken) =>
        database.RunAsync(db => db.Database.CreateExecutionStrategy().Execute(() => Purge(db, upTo, record)), cancellationToken);

    /// <summary>
    /// On <see cref="DatabaseWork"/>'s own thread, so the chain appender's asynchronous steps are
    /// waited for where they run: nothing else waits on this thread.
    /// </summary>
    private int Purge(KeyManagerDbContext db, Instant upTo, Func<int, RequestLogEntry> record)
    {
        using var transaction = db.Database.BeginTransaction();
        // The chain head is locked before anything is deleted, so appenders wait for the purge.
        var head = AuditChain.ChainAppender.LockHeadAsync(db, dialect, CancellationToken.None).GetAwaiter().GetResult();
        // The chain's start up to its first entry past the cut-off: a purge cuts a prefix, never a
        // piece from the middle. (An entry held through an outage is written after newer ones, so
        // a few older than the cut-off may stay until the next purge.)
        var firstKept = db.RequestLog.Where(e => e.Timestamp > upTo).Min(e => (long?)EF.Property<long>(e, AuditChain.RequestLogChainColumns.Seq)) ?? head.Seq + 1;
        var purged = db.RequestLog.Where(e => EF.Property<long>(e, AuditChain.RequestLogChainColumns.Seq) < firstKept).ExecuteDelete();
        var checkpoint = record(purged);
        AuditChain.ChainAppender.AppendAsync(db, dialect, [checkpoint with { Detail = $"{checkpoint.Detail} {AuditChain.PurgeNote.Write(head.Seq, firstKept)}" }], CancellationToken.None).GetAwaiter().GetResult();
        transaction.Commit();
        return purged;
    }
}
