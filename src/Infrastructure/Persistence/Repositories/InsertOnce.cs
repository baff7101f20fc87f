using Microsoft.EntityFrameworkCore;

namespace LocalKeyManager.Infrastructure.Persistence.Repositories;

internal static class InsertOnce
{
    /// <summary>
    /// Inserts a row whose primary key may exist already; false, storing nothing, when it does.
    /// The database's unique key decides, so two instances inserting at once cannot both win.
    /// </summary>
    public static async Task<bool> TryInsertAsync<TRow>(this KeyManagerDbContext db, TRow row, IDatabaseDialect dialect, CancellationToken cancellationToken)
        where TRow : class
    {
        db.Add(row);
        try
        {
            await db.SaveChangesAsync(cancellationToken);
            return true;
        }
        catch (DbUpdateException e) when (dialect.IsUniqueViolation(e))
        {
            return false;
        }
        finally
        {
            db.ChangeTracker.Clear();
        }
    }
}
