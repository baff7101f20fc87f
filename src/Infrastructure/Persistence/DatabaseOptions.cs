namespace LocalKeyManager.Infrastructure.Persistence;

/// <summary>Configuration section <c>Database</c>; the connection string is <c>ConnectionStrings:KeyManager</c>.</summary>
public sealed class DatabaseOptions
{
    public const string Section = "Database";
    public const string ConnectionStringName = "KeyManager";
    public const string DefaultSqliteConnectionString = "Data Source=lkm.db";

    /// <summary><c>Sqlite</c> (embedded default).</summary>
    public string Provider { get; set; } = "Sqlite";

    /// <summary>Apply pending migrations at start-up. Default: on for SQLite, off otherwise.</summary>
    public bool? MigrateOnStartup { get; set; }
}
