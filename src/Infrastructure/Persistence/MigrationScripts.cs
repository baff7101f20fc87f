using System.Text.RegularExpressions;
using LocalKeyManager.Infrastructure.Persistence.Postgres;
using LocalKeyManager.Infrastructure.Persistence.Sqlite;
using LocalKeyManager.Infrastructure.Persistence.SqlServer;
using Microsoft.EntityFrameworkCore;
using Microsoft.EntityFrameworkCore.Infrastructure;
using Microsoft.EntityFrameworkCore.Migrations;

namespace LocalKeyManager.Infrastructure.Persistence;

/// <summary>
/// The idempotent SQL scripts DBAs apply (committed under <c>db/&lt;provider&gt;/migrations.sql</c>),
/// generated from each provider's migrations without a database. A test compares the committed
/// files with what this produces, so a stale script fails the build.
/// </summary>
public static partial class MigrationScripts
{
    public static readonly string[] Providers = ["sqlite", "postgres", "sqlserver"];

    public static string Generate(string provider)
    {
        using var context = DesignContext(provider);
        var migrator = context.GetService<IMigrator>();
        var script = provider == "sqlite"
            ? MakeSqliteIdempotent(migrator.GenerateScript(options: MigrationsSqlGenerationOptions.Default))
            : migrator.GenerateScript(options: MigrationsSqlGenerationOptions.Idempotent);
        return script.ReplaceLineEndings("\n");
    }

    private static KeyManagerDbContext DesignContext(string provider) => provider switch
    {
        "sqlite" => new SqliteDesignTimeFactory().CreateDbContext([]),
        "postgres" => new PostgresDesignTimeFactory().CreateDbContext([]),
        "sqlserver" => new SqlServerDesignTimeFactory().CreateDbContext([]),
        _ => throw new ArgumentException($"Unknown provider '{provider}'; use {string.Join(", ", Providers)}.", nameof(provider)),
    };

    /// <summary>
    /// EF cannot write idempotent SQLite scripts (SQLite has no procedural IF). Migrations that
    /// create tables and indexes and insert seed rows (keyed, so a repeat is ignored) become
    /// idempotent with IF NOT EXISTS and INSERT OR IGNORE, and so does a rebuild of a table
    /// (SQLite cannot change a primary key in place): dropping an index becomes DROP INDEX IF
    /// EXISTS, and the rebuild itself (a new table <c>ef_temp_X</c> filled from the old, the old
    /// dropped, the new renamed) gives the same table when it runs again. Anything else is refused, so a migration
    /// that needs more cannot slip through unnoticed.
    /// </summary>
    private static string MakeSqliteIdempotent(string script)
    {
        var statements = script.Split(";\n", StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries)
            .Where(s => s.Length > 0)
            .ToList();
        foreach (var statement in statements)
        {
            var allowed = AllowedSqliteStatement().Match(statement);
            // A table is dropped only as part of EF's rebuild of it: its replacement is renamed to its name.
            if (!allowed.Success || (allowed.Groups["dropped"].Success && !statements.Contains($"ALTER TABLE \"ef_temp_{allowed.Groups["dropped"].Value}\" RENAME TO \"{allowed.Groups["dropped"].Value}\"")))
            {
                throw new InvalidOperationException($"Cannot make this SQLite migration statement idempotent: {statement.Split('\n')[0]}");
            }
        }

        return script
            .Replace("CREATE TABLE \"", "CREATE TABLE IF NOT EXISTS \"", StringComparison.Ordinal)
            .Replace("CREATE INDEX \"", "CREATE INDEX IF NOT EXISTS \"", StringComparison.Ordinal)
            .Replace("CREATE UNIQUE INDEX \"", "CREATE UNIQUE INDEX IF NOT EXISTS \"", StringComparison.Ordinal)
            .Replace("INSERT INTO \"", "INSERT OR IGNORE INTO \"", StringComparison.Ordinal)
            .Replace("DROP INDEX \"", "DROP INDEX IF EXISTS \"", StringComparison.Ordinal);
    }

    [GeneratedRegex("^(BEGIN TRANSACTION|COMMIT|CREATE TABLE (IF NOT EXISTS )?\"|CREATE (UNIQUE )?INDEX \"|INSERT INTO \"|SELECT changes\\(\\)|DROP INDEX \"|DROP TABLE \"(?<dropped>[a-z_]+)\"$|ALTER TABLE \"ef_temp_[a-z_]+\" RENAME TO \"[a-z_]+\"$)")]
    private static partial Regex AllowedSqliteStatement();
}
