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
    /// only create tables and indexes and insert seed rows (keyed, so a repeat is ignored) become
    /// idempotent with IF NOT EXISTS and INSERT OR IGNORE;
    /// anything else is refused, so a migration that needs more cannot slip through unnoticed.
    /// </summary>
    private static string MakeSqliteIdempotent(string script)
    {
        var statements = script.Split(";\n", StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries)
            .Where(s => s.Length > 0)
            .ToList();
        foreach (var statement in statements)
        {
            if (!AllowedSqliteStatement().IsMatch(statement))
            {
                throw new InvalidOperationException($"Cannot make this SQLite migration statement idempotent: {statement.Split('\n')[0]}");
            }
        }

        return script
            .Replace("CREATE TABLE \"", "CREATE TABLE IF NOT EXISTS \"", StringComparison.Ordinal)
            .Replace("CREATE INDEX \"", "CREATE INDEX IF NOT EXISTS \"", StringComparison.Ordinal)
            .Replace("CREATE UNIQUE INDEX \"", "CREATE UNIQUE INDEX IF NOT EXISTS \"", StringComparison.Ordinal)
            .Replace("INSERT INTO \"", "INSERT OR IGNORE INTO \"", StringComparison.Ordinal);
    }

    [GeneratedRegex("^(BEGIN TRANSACTION|COMMIT|CREATE TABLE (IF NOT EXISTS )?\"|CREATE (UNIQUE )?INDEX \"|INSERT INTO \"|SELECT changes\\(\\))")]
    private static partial Regex AllowedSqliteStatement();
}
