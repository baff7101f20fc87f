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
}
