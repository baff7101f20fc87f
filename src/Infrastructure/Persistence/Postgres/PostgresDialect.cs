using System.Net.Sockets;
using Microsoft.EntityFrameworkCore;
using Microsoft.EntityFrameworkCore.Infrastructure;
using Microsoft.EntityFrameworkCore.Storage;
using Npgsql;

namespace LocalKeyManager.Infrastructure.Persistence.Postgres;

internal sealed class PostgresDialect : IDatabaseDialect
{
    public string Name => "Postgres";

    public bool GroupCommitInTransaction => false;

    public string LockChainHeadSql => "SELECT id, seq, hash FROM request_log_chain WHERE id = 1 FOR UPDATE";

    public bool IsUniqueViolation(DbUpdateException exception) =>
        exception.InnerException is PostgresException { SqlState: PostgresErrorCodes.UniqueViolation };

    public bool IsUnavailable(Exception exception) => exception switch
    {
        // Connection failures (class 08), shutdowns (57P), resource exhaustion (53), and
        // anything Npgsql itself calls transient (timeouts, broken sockets).
        PostgresException p => p.SqlState.StartsWith("08", StringComparison.Ordinal) || p.SqlState.StartsWith("57P", StringComparison.Ordinal) || p.SqlState.StartsWith("53", StringComparison.Ordinal),
        NpgsqlException n when n.IsTransient => true,
        SocketException or TimeoutException => true,
        _ => exception.InnerException is not null && IsUnavailable(exception.InnerException),
    };

    /// <summary>
    /// An error PostgreSQL sent for the statement: it ran in its own implicit transaction, which
    /// the error rolled back. A broken connection or a client-side timeout is not one of these.
    /// </summary>
    public bool IsRefusedStatement(Exception exception) => !IsUnavailable(exception) && exception switch
    {
        PostgresException => true,
        _ => exception.InnerException is not null && IsRefusedStatement(exception.InnerException),
    };

    public void ForgetPreparedStatements(KeyManagerDbContext db) => ForgetPreparedStatementsOf(db);

    /// <summary>
    /// After PostgreSQL refused a statement in the use that prepared it automatically, Npgsql's
    /// bookkeeping is out of step with the server (npgsql/npgsql#6391): the next use of that
    /// statement on the connection read an earlier answer as its own ("Received unexpected backend
    /// message DataRow"), and the group commit took a committed append for a failed one and
    /// appended it again (a duplicate key), so valid requests beside a bad one answered 503.
    /// Unpreparing everything on the connection puts both sides back in step (the statements are
    /// prepared again as they are used). A connection already back in the pool (the writer's
    /// statements close theirs), or one the reset itself fails on, is dropped with the pool's idle
    /// connections: the pool of the data source EF Core built (for the NodaTime plugin), which
    /// <see cref="NpgsqlConnection.ClearPool"/> does not reach. A refused statement is rare, and
    /// the cost of this is connecting and preparing again. Never throws: the caller's own outcome
    /// (a refused statement, rolled back) stands.
    /// </summary>
    public static void ForgetPreparedStatementsOf(KeyManagerDbContext db)
    {
        try
        {
            if (db.Database.GetDbConnection() is NpgsqlConnection { State: System.Data.ConnectionState.Open } connection)
            {
                connection.UnprepareAll();
                return;
            }
        }
        catch (Exception e) when (e is NpgsqlException or InvalidOperationException or TimeoutException)
        {
            // Dropped with the pool's connections below.
        }

        try
        {
            // EF Core's own connection type is the one public way to the data source it built; its
            // API is marked internal, so a package upgrade is checked by the test that needs it
            // (PersistenceTests.A_statement_postgres_refuses_leaves_the_connection_fit_for_the_next_pass).
#pragma warning disable EF1001
            ((db.GetService<IRelationalConnection>() as Npgsql.EntityFrameworkCore.PostgreSQL.Storage.Internal.NpgsqlRelationalConnection)?.DataSource as NpgsqlDataSource)?.Clear();
#pragma warning restore EF1001
        }
        catch (Exception e) when (e is NpgsqlException or InvalidOperationException)
        {
            // Nothing more can be done from here; the next use of such a connection fails alone.
        }
    }

    public Task<bool> TryAppendChainedAsync(KeyManagerDbContext db, AuditChain.ChainHeadRow expected, IReadOnlyList<AuditChain.LinkedEntry> entries, CancellationToken cancellationToken) =>
        PostgresChainAppend.TryAppendAsync(db, expected, entries, cancellationToken);

    public Task<NoncesAndAppend?> TryRecordNoncesAndAppendAsync(
        KeyManagerDbContext db, IReadOnlyList<NonceRow> nonces, AuditChain.ChainHeadRow expected, IReadOnlyList<AuditChain.LinkedEntry> entries, CancellationToken cancellationToken) =>
        PostgresChainAppend.TryRecordNoncesAndAppendAsync(db, nonces, expected, entries, cancellationToken);

    public Task PrepareAsync(KeyManagerDbContext db, CancellationToken cancellationToken) => Task.CompletedTask;

    public string? WriteProblem(System.Data.Common.DbConnection connection)
    {
        using var command = connection.CreateCommand();
        command.CommandText =
            "SELECT current_setting('transaction_read_only') = 'on', " +
            "has_table_privilege('hawk_nonces', 'INSERT') AND has_table_privilege('request_log', 'INSERT') AND has_table_privilege('request_log_chain', 'UPDATE')";
        using var reader = command.ExecuteReader();
        reader.Read();
        return reader.GetBoolean(0) ? "database read-only"
            : reader.GetBoolean(1) ? null
            : "database login may not write the request log (see db/postgres/grants.sql)";
    }

    public Task<HashSet<(string, string, long)>> InsertNoncesIfAbsentAsync(KeyManagerDbContext db, IReadOnlyList<NonceRow> nonces, CancellationToken cancellationToken) =>
        GroupCommit.NonceInsert.InsertReturningAsync(db, nonces, SeenAt, cancellationToken);

    /// <summary>How a replay record's time is bound (timestamptz).</summary>
    internal static object SeenAt(NodaTime.Instant seenAt) => seenAt.ToDateTimeUtc();
}
