using Microsoft.Extensions.DependencyInjection;
using LocalKeyManager.Infrastructure.Persistence;
using LocalKeyManager.Infrastructure.Persistence.Postgres;
using LocalKeyManager.Infrastructure.Persistence.Sqlite;
using LocalKeyManager.Infrastructure.Persistence.SqlServer;
using LocalKeyManager.TestSupport;
using Microsoft.Data.Sqlite;
using Microsoft.EntityFrameworkCore;
using Npgsql;

namespace LocalKeyManager.Infrastructure.IntegrationTests;

/// <summary>Migrations, the DBA scripts committed under db/, and the start-up schema check.</summary>
public sealed class SchemaTests
{
    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    [Theory]
    [InlineData("sqlite")]
    [InlineData("postgres")]
    [InlineData("sqlserver")]
    public void The_committed_dba_script_matches_the_migrations(string provider)
    {
        var committed = File.ReadAllText(Path.Combine(RepositoryRoot(), "db", provider, "migrations.sql")).ReplaceLineEndings("\n");

        committed.Should().Be(MigrationScripts.Generate(provider), "db/{0}/migrations.sql is stale: run scripts/generate-db-scripts.sh", provider);
    }

    [Fact]
    public void Every_provider_has_a_migration_for_the_current_model()
    {
        using var sqlite = new SqliteDesignTimeFactory().CreateDbContext([]);
        using var postgres = new PostgresDesignTimeFactory().CreateDbContext([]);
        using var sqlServer = new SqlServerDesignTimeFactory().CreateDbContext([]);

        sqlite.Database.HasPendingModelChanges().Should().BeFalse("add a SQLite migration");
        postgres.Database.HasPendingModelChanges().Should().BeFalse("add a PostgreSQL migration");
        sqlServer.Database.HasPendingModelChanges().Should().BeFalse("add a SQL Server migration");
    }

    [Fact]
    public async Task The_sqlite_script_applies_twice_and_the_service_then_starts_without_migrating()
    {
        var directory = Directory.CreateTempSubdirectory("lkm-script-").FullName;
        var script = await File.ReadAllTextAsync(Path.Combine(RepositoryRoot(), "db", "sqlite", "migrations.sql"), Ct);
        await using (var connection = new SqliteConnection($"Data Source={Path.Combine(directory, "lkm.db")}"))
        {
            await connection.OpenAsync(Ct);
            for (var i = 0; i < 2; i++)
            {
                await using var command = connection.CreateCommand();
                command.CommandText = script;
                await command.ExecuteNonQueryAsync(Ct);
            }
        }

        SqliteConnection.ClearAllPools();
        await using var services = await TestServices.StartAsync(new() { ["Database:MigrateOnStartup"] = "false" }, directory);
    }

    [Fact]
    public async Task Start_up_on_a_schema_that_is_behind_names_the_script_to_run()
    {
        var directory = Directory.CreateTempSubdirectory("lkm-behind-").FullName;
        var act = () => TestServices.StartAsync(new() { ["Database:MigrateOnStartup"] = "false" }, directory);

        await act.Should().ThrowAsync<SchemaBehindException>().WithMessage("*db/sqlite/migrations.sql*");
        File.Exists(Path.Combine(directory, "lkm.db")).Should().BeFalse("a refused start leaves no empty database behind");
    }

    [Fact]
    public async Task A_postgres_database_name_that_does_not_exist_is_named_as_such_not_as_a_schema_behind()
    {
        Assert.SkipWhen(TestDatabase.PostgresServer is null, TestDatabase.PostgresSkipReason);
        var missing = new NpgsqlConnectionStringBuilder(TestDatabase.PostgresServer) { Database = "lkm_typo_" + Guid.NewGuid().ToString("N")[..8] };

        var act = () => TestServices.StartAsync(new()
        {
            ["Database:Provider"] = "Postgres",
            ["ConnectionStrings:KeyManager"] = missing.ConnectionString,
            ["Database:MigrateOnStartup"] = "false",
        });

        await act.Should().ThrowAsync<SchemaBehindException>().WithMessage("The database named in ConnectionStrings:KeyManager does not exist*db/postgres/migrations.sql*");
    }

    [Fact]
    public async Task The_postgres_script_applies_twice_and_a_data_only_role_runs_the_service()
    {
        Assert.SkipWhen(TestDatabase.PostgresServer is null, TestDatabase.PostgresSkipReason);
        await using var database = await TestDatabase.CreateAsync("postgres");
        var script = await File.ReadAllTextAsync(Path.Combine(RepositoryRoot(), "db", "postgres", "migrations.sql"), Ct);
        var role = "lkm_app_" + Guid.NewGuid().ToString("N")[..8];
        await using (var owner = new NpgsqlConnection(database.ConnectionString))
        {
            await owner.OpenAsync(Ct);
            await ExecuteAsync(owner, script);
            await ExecuteAsync(owner, script);
            await ExecuteAsync(owner, File.ReadAllText(Path.Combine(RepositoryRoot(), "db", "postgres", "grants.sql")).Replace(":app_role", role, StringComparison.Ordinal)
                .Insert(0, $"CREATE ROLE {role} LOGIN; "));
        }

        var settings = new Dictionary<string, string?>(database.Settings)
        {
            ["ConnectionStrings:KeyManager"] = new NpgsqlConnectionStringBuilder(database.ConnectionString) { Username = role }.ConnectionString,
            ["Database:MigrateOnStartup"] = "false",
        };
        await using (var services = await TestServices.StartAsync(settings, database.Directory))
        {
            await using var scope = services.Scope();
            var guard = scope.ServiceProvider.GetService(typeof(Domain.Credentials.IReplayGuard)) as Domain.Credentials.IReplayGuard;
            (await guard!.TryRecordAsync("genesys-prod", "nonce", 1, services.Clock.GetCurrentInstant(), Ct)).Should().BeTrue();
            await guard.ForgetBeforeAsync(services.Clock.GetCurrentInstant(), Ct);

            // Every request's entry goes through the request log and its chain head: the role must
            // be able to append (twice: the first and a later writer pass), read and purge.
            var log = scope.ServiceProvider.GetRequiredService<Domain.Audit.IRequestLog>();
            var now = services.Clock.GetCurrentInstant();
            await log.AppendAsync(PersistenceTests.Entry(now), Ct);
            await log.AppendAsync(PersistenceTests.Entry(now), Ct);
            (await log.QueryAsync(10, now, now, Ct)).Should().HaveCount(2);
            (await log.PurgeAsync(now, count => PersistenceTests.Entry(now) with { Detail = $"Purged {count}" }, Ct)).Should().Be(2);
        }

        await using var app = new NpgsqlConnection(settings["ConnectionStrings:KeyManager"]);
        await app.OpenAsync(Ct);
        var ddl = () => ExecuteAsync(app, "CREATE TABLE sneaky (id int)");
        (await ddl.Should().ThrowAsync<PostgresException>()).Which.SqlState.Should().Be(PostgresErrorCodes.InsufficientPrivilege);
        var drop = () => ExecuteAsync(app, "DROP TABLE request_log");
        await drop.Should().ThrowAsync<PostgresException>();
    }

    private static async Task ExecuteAsync(NpgsqlConnection connection, string sql)
    {
        await using var command = new NpgsqlCommand(sql, connection);
        await command.ExecuteNonQueryAsync(Ct);
    }

    internal static string RepositoryRoot()
    {
        for (var dir = new DirectoryInfo(AppContext.BaseDirectory); dir is not null; dir = dir.Parent)
        {
            if (File.Exists(Path.Combine(dir.FullName, "LocalKeyManager.sln")))
            {
                return dir.FullName;
            }
        }

        throw new InvalidOperationException("The repository root (LocalKeyManager.sln) was not found above the test binaries.");
    }
}
