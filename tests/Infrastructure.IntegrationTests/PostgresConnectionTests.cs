using LocalKeyManager.Domain.Audit;
using LocalKeyManager.Domain.Credentials;
using LocalKeyManager.Infrastructure.Persistence;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.DependencyInjection;
using Npgsql;
using NodaTime;

namespace LocalKeyManager.Infrastructure.IntegrationTests;

/// <summary>The connection settings the service gives PostgreSQL, and what they do on a real server.</summary>
public sealed class PostgresConnectionTests
{
    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    [Fact]
    public async Task The_service_prepares_statements_and_skips_the_reset_unless_the_connection_string_says_otherwise()
    {
        var ours = await ConnectionSettingsAsync("Host=db.example;Username=lkm");
        ours.MaxAutoPrepare.Should().Be(64);
        ours.AutoPrepareMinUsages.Should().Be(2);
        ours.NoResetOnClose.Should().BeTrue();
        ours.CommandTimeout.Should().Be(4);
        ours.Timeout.Should().Be(2);

        // An operator behind PgBouncer in transaction mode turns preparation off, in any spelling.
        var theirs = await ConnectionSettingsAsync("Host=db.example;Username=lkm;maxautoprepare=0;NoResetOnClose=false;CommandTimeout=3");
        theirs.MaxAutoPrepare.Should().Be(0);
        theirs.NoResetOnClose.Should().BeFalse();
        theirs.CommandTimeout.Should().Be(3);
        theirs.Timeout.Should().Be(2, "a default the operator did not set still applies");
    }

    [Fact]
    public async Task A_writer_pass_statement_stays_prepared_on_its_connection_across_passes()
    {
        await TestServices.SkipUnlessAvailableAsync("postgres");
        // One connection only, so the one the test reads is the one every writer pass used.
        await using var services = await TestServices.StartOnAsync("postgres", connectionString: cs => cs + ";Maximum Pool Size=1");
        var t0 = Instant.FromUtc(2026, 11, 30, 8, 0);
        for (var i = 0; i < 5; i++)
        {
            await using var scope = services.Scope();
            var entry = PersistenceTests.Entry(t0 + Duration.FromSeconds(i));
            (await scope.ServiceProvider.GetRequiredService<IRequestLog>().AppendIfFirstUseAsync(entry, new NonceUse("genesys", $"n{i}", 1700000000 + i, t0), Ct))
                .Should().BeTrue();
        }

        await using var check = services.Scope();
        var db = check.ServiceProvider.GetRequiredService<KeyManagerDbContext>();
        await db.Database.OpenConnectionAsync(Ct);
        await using var command = db.Database.GetDbConnection().CreateCommand();
        command.CommandText = "SELECT count(*) FROM pg_prepared_statements WHERE statement LIKE 'WITH n AS (INSERT INTO hawk_nonces%'";
        ((long)(await command.ExecuteScalarAsync(Ct))!).Should().Be(1, "the nonces-and-entries statement of a one-request pass is prepared once and reused");
    }

    private static async Task<NpgsqlConnectionStringBuilder> ConnectionSettingsAsync(string connectionString)
    {
        await using var services = await TestServices.StartAsync(
            new() { ["Database:Provider"] = "Postgres", ["ConnectionStrings:KeyManager"] = connectionString }, initialize: false);
        await using var scope = services.Scope();
        return new NpgsqlConnectionStringBuilder(scope.ServiceProvider.GetRequiredService<KeyManagerDbContext>().Database.GetConnectionString());
    }
}
