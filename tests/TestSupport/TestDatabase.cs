using System.Security.Cryptography;
using Npgsql;

namespace LocalKeyManager.TestSupport;

/// <summary>
/// A database of its own for one test (or test class), on the embedded default or on the
/// PostgreSQL server named by <c>LKM_TEST_POSTGRES</c> (a fresh database per instance, dropped
/// afterwards). <see cref="Settings"/> is the configuration the service needs to use it.
/// </summary>
public sealed class TestDatabase : IAsyncDisposable
{
    public const string PostgresVariable = "LKM_TEST_POSTGRES";

    private readonly string? _postgresName;

    private TestDatabase(string provider, string directory, Dictionary<string, string?> settings, string? postgresName)
    {
        Provider = provider;
        Directory = directory;
        Settings = settings;
        _postgresName = postgresName;
    }

    /// <summary><c>sqlite</c> or <c>postgres</c>.</summary>
    public string Provider { get; }

    /// <summary>A temp folder of this database's own (the SQLite file and key file live here).</summary>
    public string Directory { get; }

    public Dictionary<string, string?> Settings { get; }

    public string ConnectionString => Settings["ConnectionStrings:KeyManager"]!;

    public static string? PostgresServer => Environment.GetEnvironmentVariable(PostgresVariable) is { Length: > 0 } value ? value : null;

    public static string PostgresSkipReason => $"{PostgresVariable} is not set: run scripts/test.sh, which starts a throwaway PostgreSQL cluster";

    public static async Task<TestDatabase> CreateAsync(string provider)
    {
        var directory = System.IO.Directory.CreateTempSubdirectory($"lkm-{provider}-").FullName;
        if (provider == "sqlite")
        {
            return new TestDatabase(provider, directory, new() { ["ConnectionStrings:KeyManager"] = $"Data Source={Path.Combine(directory, "lkm.db")}" }, null);
        }

        if (provider == "sqlserver")
        {
            var (sqlServer, reason) = await SqlServerServer.GetAsync();
            var catalog = "lkm_test_" + Guid.NewGuid().ToString("N")[..16];
            var sqlBuilder = new Microsoft.Data.SqlClient.SqlConnectionStringBuilder(sqlServer ?? throw new InvalidOperationException(reason)) { InitialCatalog = catalog };
            return new TestDatabase(provider, directory, new()
            {
                ["Database:Provider"] = "SqlServer",
                ["ConnectionStrings:KeyManager"] = sqlBuilder.ConnectionString,
                ["KeyProtection:Local:Keys:1"] = Convert.ToBase64String(RandomNumberGenerator.GetBytes(32)),
                ["Database:MigrateOnStartup"] = "true",
            }, null);
        }

        if (provider != "postgres")
        {
            throw new ArgumentException($"unknown test provider {provider}", nameof(provider));
        }

        var server = PostgresServer ?? throw new InvalidOperationException(PostgresSkipReason);
        var name = "lkm_test_" + Guid.NewGuid().ToString("N")[..16];
        await using (var connection = new NpgsqlConnection(server))
        {
            await connection.OpenAsync();
            await using var create = new NpgsqlCommand($"CREATE DATABASE {name}", connection);
            await create.ExecuteNonQueryAsync();
        }

        var builder = new NpgsqlConnectionStringBuilder(server) { Database = name };
        return new TestDatabase(provider, directory, new()
        {
            ["Database:Provider"] = "Postgres",
            ["ConnectionStrings:KeyManager"] = builder.ConnectionString,
            ["KeyProtection:Local:Keys:1"] = Convert.ToBase64String(RandomNumberGenerator.GetBytes(32)),
            ["Database:MigrateOnStartup"] = "true",
        }, name);
    }

    public async ValueTask DisposeAsync()
    {
        if (_postgresName is not null)
        {
            NpgsqlConnection.ClearAllPools();
            await using var connection = new NpgsqlConnection(PostgresServer);
            await connection.OpenAsync();
            await using var drop = new NpgsqlCommand($"DROP DATABASE IF EXISTS {_postgresName} WITH (FORCE)", connection);
            await drop.ExecuteNonQueryAsync();
        }

        try
        {
            System.IO.Directory.Delete(Directory, recursive: true);
        }
        catch (IOException)
        {
            // Best effort: a temp folder left behind is harmless.
        }
    }
}
