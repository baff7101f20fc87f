using LocalKeyManager.Infrastructure.Persistence.AuditChain;
using Microsoft.EntityFrameworkCore;
using Npgsql;

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
        await using var command = ChainAppender.Command(db, transaction: null);
        command.CommandText = $"WITH {HeadThenEntries(db, command, expected, entries, condition: null)} SELECT count(*) FROM appended";

        await db.Database.OpenConnectionAsync(cancellationToken);
        try
        {
            return (long)(await command.ExecuteScalarAsync(cancellationToken))! == entries.Count;
        }
        finally
        {
            await db.Database.CloseConnectionAsync();
        }
    }

    /// <summary>
    /// The replay records and the request-log append of a writer pass in one statement: the
    /// nonces are inserted (duplicates skipped), and the head moves and the entries go in only if
    /// every nonce was new and the head is where this writer last saw it. Returns the triples
    /// inserted and whether the entries went in; null when PostgreSQL refused the statement (a bad
    /// entry, a deadlock): then nothing of it was written, and the caller sends the nonces and the
    /// entries separately, so that one bad entry fails alone.
    /// </summary>
    public static async Task<NoncesAndAppend?> TryRecordNoncesAndAppendAsync(
        KeyManagerDbContext db, IReadOnlyList<NonceRow> nonces, ChainHeadRow expected, IReadOnlyList<LinkedEntry> entries, CancellationToken cancellationToken)
    {
        await using var command = ChainAppender.Command(db, transaction: null);
        var insertNonces = GroupCommit.NonceInsert.Statement(command, nonces, PostgresDialect.SeenAt);
        command.CommandText =
            $"WITH n AS ({insertNonces} RETURNING credential_id, nonce, ts), " +
            HeadThenEntries(db, command, expected, entries, condition: "(SELECT count(*) FROM n) = @nonce_count") +
            " SELECT credential_id, nonce, ts, (SELECT count(*) FROM appended) FROM n";
        command.AddParameter("@nonce_count", (long)nonces.Count);

        var inserted = new HashSet<(string, string, long)>();
        var appended = 0L;
        await db.Database.OpenConnectionAsync(cancellationToken);
        try
        {
            await using var reader = await command.ExecuteReaderAsync(cancellationToken);
            while (await reader.ReadAsync(cancellationToken))
            {
                inserted.Add((reader.GetString(0), reader.GetString(1), reader.GetInt64(2)));
                appended = reader.GetInt64(3);
            }
        }
        catch (PostgresException)
        {
            // The server answered with an error, so the statement (its own transaction) was rolled back.
            PostgresDialect.ForgetPreparedStatementsOf(db);
            return null;
        }
        finally
        {
            await db.Database.CloseConnectionAsync();
        }

        return new NoncesAndAppend(inserted, appended == entries.Count);
    }

    /// <summary>
    /// <c>head AS (...), appended AS (...)</c>: moves the chain head from <paramref name="expected"/>
    /// to the last of <paramref name="entries"/> if it is still there (and <paramref name="condition"/>
    /// holds), and inserts the entries only if it moved; binds their values on <paramref name="command"/>.
    /// </summary>
    private static string HeadThenEntries(KeyManagerDbContext db, System.Data.Common.DbCommand command, ChainHeadRow expected, IReadOnlyList<LinkedEntry> entries, string? condition)
    {
        var (table, columns) = ChainAppender.Target(db.Model);
        command.AddParameter("@new_seq", entries[^1].Seq);
        command.AddParameter("@new_hash", entries[^1].Hash);
        command.AddParameter("@old_seq", expected.Seq);
        command.AddParameter("@old_hash", expected.Hash);
        return "head AS (UPDATE request_log_chain SET seq = @new_seq, hash = @new_hash WHERE id = 1 AND seq = @old_seq AND hash = @old_hash" +
            (condition is null ? string.Empty : $" AND {condition}") + " RETURNING 1), " +
            $"appended AS (INSERT INTO {table} ({columns}) SELECT v.* FROM (VALUES {ChainAppender.Rows(db.Model, command, entries, 0, entries.Count)}) AS v WHERE EXISTS (SELECT 1 FROM head) RETURNING 1)";
    }
}
