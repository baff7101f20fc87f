using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;

namespace LocalKeyManager.Infrastructure.Persistence;

/// <summary>
/// Brings the schema up to date at start-up when allowed (<c>Database:MigrateOnStartup</c>,
/// default on for SQLite only), and otherwise refuses to serve on a schema that is behind,
/// naming the script a DBA should apply.
/// </summary>
public sealed partial class DatabaseInitializer(KeyManagerDbContext db, IDatabaseDialect dialect, IDatabaseLocation location, IOptions<DatabaseOptions> options, ILogger<DatabaseInitializer> logger)
{
    public async Task InitializeAsync(CancellationToken cancellationToken)
    {
        // The owner-only file is made only when migrating (MigrateAsync): a start refused for a
        // missing schema leaves no empty database behind.
        var migrate = options.Value.MigrateOnStartup ?? dialect.Name == "Sqlite";
        if (migrate)
        {
            await MigrateAsync(cancellationToken);
        }
        else
        {
            // EF Core counts every migration as pending on a database that does not exist, which
            // read as "the schema is behind" for a mistyped database name.
            if (!await ExistsAsync(cancellationToken))
            {
                throw new SchemaBehindException(
                    $"The database named in ConnectionStrings:KeyManager does not exist. Check the name; a new installation's DBA creates it, " +
                    $"then applies db/{dialect.Name.ToLowerInvariant()}/migrations.sql.");
            }

            var pending = (await db.Database.GetPendingMigrationsAsync(cancellationToken)).ToList();
            if (pending.Count > 0)
            {
                throw new SchemaBehindException(
                    $"The database schema is behind this version ({pending.Count} migration(s) pending, first {pending[0]}). " +
                    $"Apply db/{dialect.Name.ToLowerInvariant()}/migrations.sql (or run 'migrate'), then start again.");
            }
        }

        await dialect.PrepareAsync(db, cancellationToken);
    }

    /// <summary>Applies every pending migration; returns how many were applied.</summary>
    public async Task<int> MigrateAsync(CancellationToken cancellationToken)
    {
        location.CreateOwnerOnlyIfMissing();
        // Migrating creates a PostgreSQL or SQL Server database that is not there (a new
        // installation's, or a mistyped name's): said out loud, since a mistyped name is a second,
        // empty installation beside the real one.
        var creating = dialect.Name != "Sqlite" && !await ExistsAsync(cancellationToken);
        var pending = (await db.Database.GetPendingMigrationsAsync(cancellationToken)).ToList();
        if (pending.Count > 0)
        {
            await db.Database.MigrateAsync(cancellationToken);
            if (creating)
            {
                LogCreatedDatabase(logger, db.Database.GetDbConnection().Database);
            }

            LogMigrated(logger, pending.Count, string.Join(", ", pending));
        }

        return pending.Count;
    }

    private Task<bool> ExistsAsync(CancellationToken cancellationToken) =>
        Microsoft.EntityFrameworkCore.Infrastructure.AccessorExtensions.GetService<Microsoft.EntityFrameworkCore.Storage.IRelationalDatabaseCreator>(db).ExistsAsync(cancellationToken);

    [LoggerMessage(Level = LogLevel.Warning, Message = "The database {Database} named in ConnectionStrings:KeyManager did not exist: created it, empty, with the schema. If the name is mistyped, this is a second installation beside the real one: stop, correct the name and drop {Database}")]
    private static partial void LogCreatedDatabase(ILogger logger, string database);

    [LoggerMessage(Level = LogLevel.Information, Message = "Applied {Count} migration(s): {Migrations}")]
    private static partial void LogMigrated(ILogger logger, int count, string migrations);
}
