using Microsoft.EntityFrameworkCore;

namespace LocalKeyManager.Infrastructure.Persistence;

/// <summary>What differs between database providers beyond the model: how their errors read.</summary>
public interface IDatabaseDialect
{
    string Name { get; }

    /// <summary>
    /// Whether a group commit needs an explicit transaction to be one commit. SQLite: yes (else
    /// one fsync per statement). PostgreSQL: no; each statement commits by itself in one round
    /// trip, and a batch of statements sent together runs as one implicit transaction.
    /// </summary>
    bool GroupCommitInTransaction { get; }

    /// <summary>The write broke a unique key (the row exists already).</summary>
    bool IsUniqueViolation(DbUpdateException exception);

    /// <summary>The database could not be reached or could not take the work: a 503, not a 500.</summary>
    bool IsUnavailable(Exception exception);

    /// <summary>
    /// The database answered the statement with an error of its own (a value too long, a broken
    /// constraint) and so wrote nothing of it: unlike a timeout or a lost connection, its outcome
    /// is not in doubt. Matters only where a group commit runs without a transaction
    /// (<see cref="GroupCommitInTransaction"/> false); in a transaction nothing commits anyway.
    /// </summary>
    bool IsRefusedStatement(Exception exception) => false;

    /// <summary>
    /// After the database refused a statement: drops what the driver prepared on the connection,
    /// which the refusal may have left out of step with the server (PostgreSQL).
    /// </summary>
    void ForgetPreparedStatements(KeyManagerDbContext db)
    {
    }

    /// <summary>
    /// After private material was erased: pushes what the database still keeps of the old row
    /// outside its live pages out of its own files, where it can. SQLite: checkpoints the
    /// write-ahead log into the file (whose freed content secure delete has zeroed) and truncates
    /// the log, which held the page as it was. PostgreSQL and SQL Server keep old row versions
    /// until their space is reused; docs/operations.md says how to make those unreadable.
    /// False when it could not be done now (SQLite: readers kept the log busy).
    /// </summary>
    bool FlushErasedContent(KeyManagerDbContext db) => true;

    /// <summary>
    /// Inserts the replay records whose (credential, nonce, ts) does not exist yet, in the current
    /// transaction and without an exception for duplicates; returns the triples it inserted.
    /// The rows are distinct.
    /// </summary>
    Task<HashSet<(string, string, long)>> InsertNoncesIfAbsentAsync(KeyManagerDbContext db, IReadOnlyList<NonceRow> nonces, CancellationToken cancellationToken);

    /// <summary>Reads the request-log chain head, locking it until the transaction ends.</summary>
    string LockChainHeadSql { get; }

    /// <summary>
    /// Appends already-linked entries in one statement that also moves the chain head, but only
    /// if the head is still <paramref name="expected"/> (optimistic: no lock, one round trip).
    /// Returns false when another writer moved the head (nothing is written), or when the
    /// database has no such statement (then the caller locks the head instead).
    /// </summary>
    Task<bool> TryAppendChainedAsync(KeyManagerDbContext db, AuditChain.ChainHeadRow expected, IReadOnlyList<AuditChain.LinkedEntry> entries, CancellationToken cancellationToken);

    /// <summary>
    /// Where the database can (PostgreSQL): in one statement and one round trip, inserts the replay
    /// records that do not exist yet and, only if all of them were new and the chain head is still
    /// <paramref name="expected"/>, appends the already-linked entries and moves the head. Returns
    /// the triples it inserted and whether the entries were appended (if not, nothing of them was
    /// written); null when the database has no such statement or refused it (nothing was written).
    /// </summary>
    Task<NoncesAndAppend?> TryRecordNoncesAndAppendAsync(
        KeyManagerDbContext db, IReadOnlyList<NonceRow> nonces, AuditChain.ChainHeadRow expected, IReadOnlyList<AuditChain.LinkedEntry> entries, CancellationToken cancellationToken) =>
        Task.FromResult<NoncesAndAppend?>(null);

    /// <summary>
    /// Why this login cannot write what every signed request writes (replay records, request-log
    /// entries and the chain head), or null: the database, or this connection to it, takes no
    /// writes (PostgreSQL: a hot standby or <c>default_transaction_read_only</c>; SQLite: a file
    /// opened read-only, or whose write lock another process holds), or the login lacks a right
    /// the service needs. Readiness reports it: such an instance would answer every signed request
    /// 503. On an open connection; SQL Server: not checked.
    /// </summary>
    string? WriteProblem(System.Data.Common.DbConnection connection) => null;

    /// <summary>Database-wide settings the service relies on, applied at start-up once the schema is current.</summary>
    Task PrepareAsync(KeyManagerDbContext db, CancellationToken cancellationToken);
}

/// <summary>What <see cref="IDatabaseDialect.TryRecordNoncesAndAppendAsync"/> wrote: the replay triples it inserted, and whether the entries went in.</summary>
public sealed record NoncesAndAppend(HashSet<(string, string, long)> Inserted, bool Appended);
