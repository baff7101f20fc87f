using Microsoft.Data.Sqlite;
using Microsoft.EntityFrameworkCore;

namespace LocalKeyManager.Infrastructure.Persistence.Sqlite;

internal sealed class SqliteDialect : IDatabaseDialect
{
    private const int SqliteConstraint = 19;
    private const int SqliteBusy = 5;
    private const int SqliteLocked = 6;
    private const int SqliteCantOpen = 14;
    private const int SqliteFull = 13;
    private const int SqliteIoErr = 10;

    public string Name => "Sqlite";

    public bool GroupCommitInTransaction => true;

    /// <summary>
    /// A truncating checkpoint waits for readers and holds writers back meanwhile, so it waits
    /// 0.5 s at most instead of the connection's usual 5 s; SQLite reports "busy" in its result.
    /// </summary>
    public bool FlushErasedContent(KeyManagerDbContext db)
    {
        db.Database.OpenConnection();
        try
        {
            var connection = db.Database.GetDbConnection();
            // Columns: busy (0 when it completed), log frames, frames checkpointed.
            return WaitingAtMost(connection, TimeSpan.FromMilliseconds(500), () => Scalar(connection, "PRAGMA wal_checkpoint(TRUNCATE);") == 0);
        }
        finally
        {
            db.Database.CloseConnection();
        }
    }

    /// <summary>Runs <paramref name="work"/> with the connection waiting at most <paramref name="wait"/> for a lock, then its usual wait again.</summary>
    private static T WaitingAtMost<T>(System.Data.Common.DbConnection connection, TimeSpan wait, Func<T> work)
    {
        var usual = Scalar(connection, "PRAGMA busy_timeout;");
        Scalar(connection, $"PRAGMA busy_timeout={(int)wait.TotalMilliseconds};");
        try
        {
            return work();
        }
        finally
        {
            Scalar(connection, $"PRAGMA busy_timeout={usual};");
        }
    }

    private static long Scalar(System.Data.Common.DbConnection connection, string sql)
    {
        using var command = connection.CreateCommand();
        command.CommandText = sql;
        return Convert.ToInt64(command.ExecuteScalar() ?? 0L, System.Globalization.CultureInfo.InvariantCulture);
    }

    /// <summary>SQLite has one writer at a time: the transaction's write lock is the lock.</summary>
    public string LockChainHeadSql => "SELECT id, seq, hash FROM request_log_chain WHERE id = 1";

    public bool IsUniqueViolation(DbUpdateException exception) =>
        exception.InnerException is SqliteException { SqliteErrorCode: SqliteConstraint };

    public bool IsUnavailable(Exception exception) =>
        exception is SqliteException { SqliteErrorCode: SqliteBusy or SqliteLocked or SqliteCantOpen or SqliteFull or SqliteIoErr }
        || (exception.InnerException is not null && IsUnavailable(exception.InnerException));

    /// <summary>Write-ahead logging: readers never block the writer, and it persists in the file.</summary>
    public Task<bool> TryAppendChainedAsync(KeyManagerDbContext db, AuditChain.ChainHeadRow expected, IReadOnlyList<AuditChain.LinkedEntry> entries, CancellationToken cancellationToken) =>
        Task.FromResult(false);

    /// <summary>
    /// SQLite opens a file it may not write read-only, without an error, until the first write.
    /// And one writer at a time holds the file's write lock: another process that keeps it (an
    /// open transaction in the <c>sqlite3</c> shell, a copy tool) leaves this instance answering
    /// every signed request 503 while every read still works. So the probe takes the write lock and
    /// lets it go at once, writing nothing; it waits up to <see cref="WriteLockWait"/> for it, far
    /// longer than this instance's own group commit holds it.
    /// </summary>
    public string? WriteProblem(System.Data.Common.DbConnection connection)
    {
        if (connection is not SqliteConnection { Handle: { } handle } sqlite)
        {
            return null;
        }

        if (SQLitePCL.raw.sqlite3_db_readonly(handle, "main") == 1)
        {
            return "database read-only";
        }

        return WaitingAtMost(sqlite, WriteLockWait, () =>
        {
            try
            {
                using var begin = sqlite.CreateCommand();
                begin.CommandText = "BEGIN IMMEDIATE;";
                // Microsoft.Data.Sqlite retries a busy statement until the command's timeout.
                begin.CommandTimeout = (int)Math.Ceiling(WriteLockWait.TotalSeconds);
                begin.ExecuteNonQuery();
                Scalar(sqlite, "ROLLBACK;");
                return null;
            }
            catch (SqliteException e) when (e.SqliteErrorCode is SqliteBusy or SqliteLocked)
            {
                return "database locked: another connection or process holds its write lock";
            }
        });
    }

    private static readonly TimeSpan WriteLockWait = TimeSpan.FromSeconds(1);

    public Task PrepareAsync(KeyManagerDbContext db, CancellationToken cancellationToken) =>
        db.Database.ExecuteSqlRawAsync("PRAGMA journal_mode=WAL;", cancellationToken);

    public Task<HashSet<(string, string, long)>> InsertNoncesIfAbsentAsync(KeyManagerDbContext db, IReadOnlyList<NonceRow> nonces, CancellationToken cancellationToken) =>
        GroupCommit.NonceInsert.InsertReturningAsync(db, nonces, seenAt => seenAt.ToUnixTimeTicks(), cancellationToken);
}
