using LocalKeyManager.Domain.Credentials;
using LocalKeyManager.Infrastructure.Persistence.GroupCommit;
using Microsoft.EntityFrameworkCore;
using NodaTime;

namespace LocalKeyManager.Infrastructure.Persistence.Repositories;

/// <summary>
/// Replay protection by the database's primary key on (credential, nonce, ts): of any number of
/// instances inserting the same triple at once, exactly one inserts it. Inserts go through the
/// group commit, together with the request log.
/// </summary>
internal sealed class EfReplayGuard(KeyManagerDbContext db, GroupCommitWriter writer) : IReplayGuard
{
    public Task<bool> TryRecordAsync(string credentialId, string nonce, long timestamp, Instant now, CancellationToken cancellationToken) =>
        writer.RecordNonceAsync(new NonceRow { CredentialId = credentialId, Nonce = nonce, Ts = timestamp, SeenAt = now }, cancellationToken);

    /// <summary>Rows deleted per statement; see <see cref="ForgetBeforeAsync"/>.</summary>
    internal const int ForgetBatch = 256;

    private static readonly TimeSpan BetweenBatches = TimeSpan.FromMilliseconds(20);

    /// <summary>
    /// Forgets the records whose client timestamp (<c>ts</c>, which leads the primary key) is
    /// before <paramref name="cutoff"/>, in statements of about <see cref="ForgetBatch"/> rows,
    /// oldest first, with a pause between them. One statement for a minute's records, by
    /// <c>seen_at</c> under a key led by the random nonce, touched most pages of the key's index
    /// and held the database's write lock while it did (SQLite: 341 ms for about 24,000 rows at
    /// 400 decrypts/s), and every request's request-log commit waited behind it. Each batch is a
    /// range at the start of the key (the key finds where the batch ends, then the rows up to there
    /// go: every record of the last second in it, so a batch may be larger), a few pages, and
    /// commits go between batches (ADR-011).
    /// </summary>
    public async Task<int> ForgetBeforeAsync(Instant cutoff, CancellationToken cancellationToken)
    {
        var before = cutoff.ToUnixTimeSeconds();
        var forgotten = 0;
        while (true)
        {
            var old = db.Nonces.Where(n => n.Ts < before);
            var batchEnd = await old.OrderBy(n => n.Ts).Select(n => (long?)n.Ts).Skip(ForgetBatch - 1).FirstOrDefaultAsync(cancellationToken);
            if (batchEnd is not { } end)
            {
                return forgotten + await old.ExecuteDeleteAsync(cancellationToken);
            }

            forgotten += await old.Where(n => n.Ts <= end).ExecuteDeleteAsync(cancellationToken);
            await Task.Delay(BetweenBatches, cancellationToken);
        }
    }
}
