using System.Reflection;
using Microsoft.EntityFrameworkCore;
using Microsoft.EntityFrameworkCore.Diagnostics;
using Microsoft.EntityFrameworkCore.Infrastructure;
using Microsoft.EntityFrameworkCore.Migrations;
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

            await WarnIfAheadAsync(cancellationToken);
        }

        await dialect.PrepareAsync(db, cancellationToken);

        // Made owner-only when the service creates it; one copied in or restored by hand may not be.
        if (location.OpenToOthers is { } open)
        {
            LogDatabaseOpen(logger, open.File, open.Mode);
        }
    }

    /// <summary>Applies every pending migration; returns how many were applied.</summary>
    public async Task<int> MigrateAsync(CancellationToken cancellationToken)
    {
        location.CreateOwnerOnlyIfMissing();
        // Migrating creates a PostgreSQL or SQL Server database that is not there (a new
        // installation's, or a mistyped name's): said out loud, since a mistyped name is a second,
        // empty installation beside the real one.
        var creating = dialect.Name != "Sqlite" && !await ExistsAsync(cancellationToken);
        IReadOnlyList<string> applied = [];
        if ((await db.Database.GetPendingMigrationsAsync(cancellationToken)).Any())
        {
            // What was pending a moment ago may be applied by another instance or 'migrate' first:
            // EF Core takes the migration lock, reads the history again and applies the rest. Only
            // what this one applied is reported, so that of two at once only one says it did.
            var migrator = db.GetService<IMigrator>();
            var ids = new List<string>();
            using (new EfCoreEvents(RelationalEventId.MigrationApplying, payload =>
            {
                if (payload is MigrationEventData data && ReferenceEquals(data.Migrator, migrator))
                {
                    lock (ids)
                    {
                        ids.Add(data.Migration.GetType().GetCustomAttribute<MigrationAttribute>()?.Id ?? data.Migration.GetType().Name);
                    }
                }
            }))
            {
                await db.Database.MigrateAsync(cancellationToken);
            }

            lock (ids)
            {
                applied = [.. ids];
            }

            if (creating)
            {
                LogCreatedDatabase(logger, db.Database.GetDbConnection().Database);
            }

            if (applied.Count > 0)
            {
                LogMigrated(logger, applied.Count, string.Join(", ", applied));
            }
        }

        await WarnIfAheadAsync(cancellationToken);
        return applied.Count;
    }

    /// <summary>
    /// A database a newer version migrated (an upgrade under way, or an older build started by
    /// mistake) holds migrations this build does not know: said, not refused, since a rolling
    /// upgrade runs the older instances on it for a while, and the migrations add more often than
    /// they change.
    /// </summary>
    private async Task WarnIfAheadAsync(CancellationToken cancellationToken)
    {
        var known = db.Database.GetMigrations().ToHashSet(StringComparer.Ordinal);
        var unknown = (await db.Database.GetAppliedMigrationsAsync(cancellationToken)).Where(m => !known.Contains(m)).Order(StringComparer.Ordinal).ToList();
        if (unknown.Count > 0)
        {
            LogSchemaAhead(logger, unknown.Count, unknown[^1]);
        }
    }

    [LoggerMessage(Level = LogLevel.Warning, Message = "The database file {Path} may be read by other users (mode {Mode}): it holds the wrapped keys, the wrapped credential keys and the request log. Make it owner-only (chmod 600, and the same for its -wal and -shm files)")]
    private static partial void LogDatabaseOpen(ILogger logger, string path, string mode);

    [LoggerMessage(Level = LogLevel.Warning, Message = "The database schema is ahead of this version: {Count} migration(s) this version does not know were applied by a newer one (the newest {Migration}). This version may fail on it; run the newer version on every instance, or go back only with the database as it was before the upgrade")]
    private static partial void LogSchemaAhead(ILogger logger, int count, string migration);

    private Task<bool> ExistsAsync(CancellationToken cancellationToken) =>
        Microsoft.EntityFrameworkCore.Infrastructure.AccessorExtensions.GetService<Microsoft.EntityFrameworkCore.Storage.IRelationalDatabaseCreator>(db).ExistsAsync(cancellationToken);

    [LoggerMessage(Level = LogLevel.Warning, Message = "The database {Database} named in ConnectionStrings:KeyManager did not exist: created it, empty, with the schema. If the name is mistyped, this is a second installation beside the real one: stop, correct the name and drop {Database}")]
    private static partial void LogCreatedDatabase(ILogger logger, string database);

    [LoggerMessage(Level = LogLevel.Information, Message = "Applied {Count} migration(s): {Migrations}")]
    private static partial void LogMigrated(ILogger logger, int count, string migrations);
}
