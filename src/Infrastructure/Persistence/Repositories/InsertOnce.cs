using Microsoft.EntityFrameworkCore;

namespace LocalKeyManager.Infrastructure.Persistence.Repositories;

internal static class InsertOnce
{
    /// <summary>
    /// Inserts a row whose primary key may exist already; false, storing nothing, when it does.
    /// The database's unique key decides, so two instances inserting at once cannot both win.
    /// Synchronous: it runs as <see cref="DatabaseWork"/>.
    /// </summary>
    public static bool TryInsert<TRow>(this KeyManagerDbContext db, TRow row, IDatabaseDialect dialect)
        where TRow : class
    {
        db.Add(row);
        try
        {
            db.SaveChanges();
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
