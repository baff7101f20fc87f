using LocalKeyManager.Domain.Audit;
using LocalKeyManager.Domain.Credentials;
using LocalKeyManager.Infrastructure.Persistence.GroupCommit;
using Microsoft.EntityFrameworkCore;
using NodaTime;

namespace LocalKeyManager.Infrastructure.Persistence.Repositories;

internal sealed class EfRequestLog(KeyManagerDbContext db, IDatabaseDialect dialect, GroupCommitWriter writer) : IRequestLog
{
    /// <summary>Through the group commit: concurrent requests share one transaction.</summary>
    public Task AppendAsync(RequestLogEntry entry, CancellationToken cancellationToken) => writer.AppendAsync(entry, cancellationToken);

    /// <summary>One group-commit write for both rows: the request waits for one commit, not two.</summary>
    public Task<bool> AppendIfFirstUseAsync(RequestLogEntry entry, NonceUse use, CancellationToken cancellationToken) =>
        writer.AppendIfFirstUseAsync(new NonceRow { CredentialId = use.CredentialId, Nonce = use.Nonce, Ts = use.Timestamp, SeenAt = use.SeenAt }, entry, cancellationToken);

    public async Task<IReadOnlyList<RequestLogEntry>> QueryAsync(int maxEntries, Instant earliest, Instant latest, CancellationToken cancellationToken) =>
        await db.RequestLog.AsNoTracking()
            .Where(e => e.Timestamp >= earliest && e.Timestamp <= latest)
            .OrderByDescending(e => e.Timestamp)
            .Take(maxEntries)
            .ToListAsync(cancellationToken);

    public async Task<int> PurgeAsync(Instant upTo, Func<int, RequestLogEntry> record, CancellationToken cancellationToken)
    {
        var strategy = db.Database.CreateExecutionStrategy();
        return await strategy.ExecuteAsync(async ct =>
        {
            await using var transaction = await db.Database.BeginTransactionAsync(ct);
            // The chain head is locked before anything is deleted, so appenders wait for the purge.
            var head = await AuditChain.ChainAppender.LockHeadAsync(db, dialect, ct);
            var purged = await db.RequestLog.Where(e => e.Timestamp <= upTo).ExecuteDeleteAsync(ct);
            var checkpoint = record(purged);
            await AuditChain.ChainAppender.AppendAsync(db, dialect, [checkpoint with { Detail = $"{checkpoint.Detail} The chain went up to entry {head.Seq} before the purge." }], ct);
            await transaction.CommitAsync(ct);
            return purged;
        }, cancellationToken);
    }
}
