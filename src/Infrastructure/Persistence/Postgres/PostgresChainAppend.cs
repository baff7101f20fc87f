using LocalKeyManager.Infrastructure.Persistence.AuditChain;
using Microsoft.EntityFrameworkCore;

namespace LocalKeyManager.Infrastructure.Persistence.Postgres;

/// <summary>
/// The request-log append on PostgreSQL in one statement and one round trip: a data-modifying
/// CTE moves the chain head only if it is still where this writer last saw it, and the entries
/// are inserted only if it moved. Another instance having appended meanwhile makes it insert
/// nothing; the writer then reads the head again and relinks. Rows are bound as
/// <see cref="ChainAppender"/> binds them.
/// </summary>
internal static class PostgresChainAppend
{
    public static async Task<bool> TryAppendAsync(KeyManagerDbContext db, ChainHeadRow expected, IReadOnlyList<LinkedEntry> entries, CancellationToken cancellationToken)
    {
        var last = entries[^1];
        var (table, columns) = ChainAppender.Target(db.Model);
        await using var command = ChainAppender.Command(db, transaction: null);
        command.CommandText =
            "WITH head AS (UPDATE request_log_chain SET seq = @new_seq, hash = @new_hash WHERE id = 1 AND seq = @old_seq AND hash = @old_hash RETURNING 1) " +
            $"INSERT INTO {table} ({columns}) SELECT v.* FROM (VALUES {ChainAppender.Rows(db.Model, command, entries, 0, entries.Count)}) AS v WHERE EXISTS (SELECT 1 FROM head)";
        command.AddParameter("@new_seq", last.Seq);
        command.AddParameter("@new_hash", last.Hash);
        command.AddParameter("@old_seq", expected.Seq);
        command.AddParameter("@old_hash", expected.Hash);

        await db.Database.OpenConnectionAsync(cancellationToken);
        try
        {
            return await command.ExecuteNonQueryAsync(cancellationToken) == entries.Count;
        }
        finally
        {
            await db.Database.CloseConnectionAsync();
        }
    }
}
