using Microsoft.EntityFrameworkCore;

namespace LocalKeyManager.Infrastructure.Persistence;

/// <summary>What differs between database providers beyond the model: how their errors read.</summary>
public interface IDatabaseDialect
{
    string Name { get; }

    /// <summary>The write broke a unique key (the row exists already).</summary>
    bool IsUniqueViolation(DbUpdateException exception);

    /// <summary>The database could not be reached or could not take the work: a 503, not a 500.</summary>
    bool IsUnavailable(Exception exception);

    /// <summary>
    /// Inserts the replay record unless the same (credential, nonce, ts) exists, in one statement
    /// and without an exception for the duplicate; true when this call inserted it.
    /// </summary>
    Task<bool> InsertNonceIfAbsentAsync(KeyManagerDbContext db, NonceRow nonce, CancellationToken cancellationToken);

    /// <summary>Database-wide settings the service relies on, applied at start-up once the schema is current.</summary>
    Task PrepareAsync(KeyManagerDbContext db, CancellationToken cancellationToken);
}
