using LocalKeyManager.Infrastructure.Health;
using LocalKeyManager.TestSupport;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.DependencyInjection;
using Npgsql;

namespace LocalKeyManager.Infrastructure.IntegrationTests;

/// <summary>
/// Readiness says what would make every signed request fail: a database that takes no writes, or
/// a login without the rights each request needs (replay record, request-log entry, chain head).
/// </summary>
public sealed class ReadinessCheckTests
{
    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    [Theory]
    [InlineData("sqlite")]
    [InlineData("postgres")]
    public async Task A_database_opened_read_only_is_not_ready_and_says_so(string provider)
    {
        await TestServices.SkipUnlessAvailableAsync(provider);
        await using var services = await TestServices.StartOnAsync(provider);
        await using var readOnly = await services.AnotherInstanceAsync(
            cs => provider == "sqlite" ? cs + ";Mode=ReadOnly" : cs + ";Options=-c default_transaction_read_only=on",
            initialize: false);

        (await services.Get<ReadinessCheck>().CheckAsync(Ct)).Should().BeNull();
        (await readOnly.Get<ReadinessCheck>().CheckAsync(Ct)).Should().Be("database read-only");
    }

    [Theory]
    [InlineData("sqlite")]
    [InlineData("postgres")]
    public async Task A_table_dropped_from_the_schema_is_not_ready_and_is_named(string provider)
    {
        await TestServices.SkipUnlessAvailableAsync(provider);
        await using var services = await TestServices.StartOnAsync(provider);
        (await services.Get<ReadinessCheck>().CheckAsync(Ct)).Should().BeNull();

        await using (var scope = services.Scope())
        {
            var db = scope.ServiceProvider.GetRequiredService<LocalKeyManager.Infrastructure.Persistence.KeyManagerDbContext>();
            await db.Database.ExecuteSqlRawAsync("DROP TABLE hawk_nonces", Ct);
        }

        (await services.Get<ReadinessCheck>().CheckAsync(Ct)).Should().Be("database table hawk_nonces missing or not readable by this login");
        (await services.Get<ReadinessCheck>().CheckAsync(Ct)).Should().Be("database table hawk_nonces missing or not readable by this login", "the connection is fit for the next probe");
    }

    [Fact]
    public async Task A_sqlite_file_whose_write_lock_another_process_holds_is_not_ready_until_it_is_let_go()
    {
        await using var services = await TestServices.StartOnAsync("sqlite");
        (await services.Get<ReadinessCheck>().CheckAsync(Ct)).Should().BeNull();

        // As the sqlite3 shell would after BEGIN IMMEDIATE: the write lock held, reads still served.
        var file = new Microsoft.Data.Sqlite.SqliteConnectionStringBuilder(
            services.Get<Microsoft.Extensions.Configuration.IConfiguration>()["ConnectionStrings:KeyManager"]).DataSource;
        await using var other = new Microsoft.Data.Sqlite.SqliteConnection($"Data Source={file};Pooling=False");
        await other.OpenAsync(Ct);
        await using (var begin = other.CreateCommand())
        {
            begin.CommandText = "BEGIN IMMEDIATE;";
            await begin.ExecuteNonQueryAsync(Ct);
        }

        (await services.Get<ReadinessCheck>().CheckAsync(Ct)).Should().Be("database locked: another connection or process holds its write lock");

        await using (var rollback = other.CreateCommand())
        {
            rollback.CommandText = "ROLLBACK;";
            await rollback.ExecuteNonQueryAsync(Ct);
        }

        (await services.Get<ReadinessCheck>().CheckAsync(Ct)).Should().BeNull("the lock is free again, and the probe left no transaction open");
        (await services.Get<ReadinessCheck>().CheckAsync(Ct)).Should().BeNull();
    }

    [Fact]
    public async Task A_postgres_login_that_may_not_append_to_the_request_log_is_not_ready_and_says_so()
    {
        await TestServices.SkipUnlessAvailableAsync("postgres");
        await using var services = await TestServices.StartOnAsync("postgres");
        var role = "lkm_ready_" + Guid.NewGuid().ToString("N")[..8];
        var owner = services.Get<Microsoft.Extensions.Configuration.IConfiguration>()["ConnectionStrings:KeyManager"]!;
        await using (var connection = new NpgsqlConnection(owner))
        {
            await connection.OpenAsync(Ct);
            var grants = await File.ReadAllTextAsync(Path.Combine(SchemaTests.RepositoryRoot(), "db", "postgres", "grants.sql"), Ct);
            await ExecuteAsync(connection, $"CREATE ROLE {role} LOGIN; " + grants.Replace(":app_role", role, StringComparison.Ordinal));
        }

        try
        {
            await using var app = await services.AnotherInstanceAsync(cs => new NpgsqlConnectionStringBuilder(cs) { Username = role }.ConnectionString);
            (await app.Get<ReadinessCheck>().CheckAsync(Ct)).Should().BeNull("grants.sql gives the service every right it needs");

            await using (var connection = new NpgsqlConnection(owner))
            {
                await connection.OpenAsync(Ct);
                await ExecuteAsync(connection, $"REVOKE INSERT ON request_log FROM {role}");
            }

            await using var without = await services.AnotherInstanceAsync(cs => new NpgsqlConnectionStringBuilder(cs) { Username = role }.ConnectionString);
            (await without.Get<ReadinessCheck>().CheckAsync(Ct)).Should().StartWith("database login may not write the request log");
        }
        finally
        {
            await using var connection = new NpgsqlConnection(owner);
            await connection.OpenAsync(Ct);
            await ExecuteAsync(connection, $"DROP OWNED BY {role}; DROP ROLE {role}");
        }
    }

    private static async Task ExecuteAsync(NpgsqlConnection connection, string sql)
    {
        await using var command = new NpgsqlCommand(sql, connection);
        await command.ExecuteNonQueryAsync(Ct);
    }
}
