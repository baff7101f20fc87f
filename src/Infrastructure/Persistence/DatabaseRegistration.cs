using System.Data.Common;
using LocalKeyManager.Domain.Audit;
using LocalKeyManager.Domain.Credentials;
using LocalKeyManager.Domain.Keys;
using LocalKeyManager.Infrastructure.Persistence.Postgres;
using LocalKeyManager.Infrastructure.Persistence.Repositories;
using LocalKeyManager.Infrastructure.Persistence.Sqlite;
using LocalKeyManager.Infrastructure.Persistence.SqlServer;
using Microsoft.EntityFrameworkCore;
using Microsoft.EntityFrameworkCore.Diagnostics;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;

namespace LocalKeyManager.Infrastructure.Persistence;

/// <summary>
/// Chooses the database at start-up from <c>Database:Provider</c> (never at compile time): the
/// provider's context (and so its migrations), dialect and connection defaults.
/// </summary>
internal static class DatabaseRegistration
{
    /// <summary>
    /// Each connection attempt (2 s), one retry after 0.5 s: an unreachable database is a 503
    /// within 5 s. Statements get 4 s.
    /// </summary>
    private const int CommandTimeoutSeconds = 4;
    private const int ConnectTimeoutSeconds = 2;

    /// <summary>
    /// Statements PostgreSQL keeps prepared per connection: a writer pass's statement has one shape
    /// per number of rows, so this covers batches of up to about 50 requests and the other queries.
    /// </summary>
    private const int PostgresMaxAutoPrepare = 64;

    public static void Add(IServiceCollection services, IConfiguration configuration)
    {
        var provider = configuration[$"{DatabaseOptions.Section}:Provider"] ?? "Sqlite";
        var connectionString = configuration.GetConnectionString(DatabaseOptions.ConnectionStringName);

        switch (provider.ToUpperInvariant())
        {
            case "SQLITE":
                var sqlite = Parsed(() => SqliteLocation.FromConnectionString(WithSqliteCommandTimeout(connectionString ?? DatabaseOptions.DefaultSqliteConnectionString)));
                services.AddSingleton<IDatabaseLocation>(sqlite);
                services.AddSingleton<IDatabaseDialect, SqliteDialect>();
                services.AddDbContextPool<KeyManagerDbContext, SqliteKeyManagerDbContext>(options => options
                    .UseSqlite(sqlite.ConnectionString)
                    .AddInterceptors(new SqlitePragmaInterceptor(SqliteSynchronous(configuration)))
                    .ConfigureWarnings(QuietExpectedFailures));
                break;
            case "POSTGRES" or "POSTGRESQL":
                // Short connect and command timeouts. And after a command timeout Npgsql asks the server to
                // cancel the query and by default waits 2 s for the answer; a server that hangs never gives one,
                // which pushed a 503 past 5 s (the fault suite measured 8 s): the connection is dropped at once.
                // The group commit's statements are prepared once per connection instead of parsed and planned
                // on every pass, and a pooled connection is not reset on its return: the service keeps no session
                // state (no SET, temporary table, LISTEN or session lock), and the reset cost PostgreSQL more CPU
                // than the statement itself. Together they cut PostgreSQL's CPU per decrypt by 40% (ADR-008).
                var postgres = WithDefaults(
                    Required(connectionString, "Postgres"),
                    ("Timeout", ConnectTimeoutSeconds), ("Command Timeout", CommandTimeoutSeconds), ("Cancellation Timeout", -1),
                    ("Max Auto Prepare", PostgresMaxAutoPrepare), ("Auto Prepare Min Usages", 2), ("No Reset On Close", true));
                Parsed(() => new Npgsql.NpgsqlConnectionStringBuilder(postgres));
                services.AddSingleton<IDatabaseLocation>(new ServerDatabaseLocation());
                services.AddSingleton<IDatabaseDialect, PostgresDialect>();
                services.AddDbContextPool<KeyManagerDbContext, PostgresKeyManagerDbContext>(options => options
                    .UseNpgsql(postgres, npgsql => npgsql.UseNodaTime().ExecutionStrategy(d => new PostgresExecutionStrategy(d)))
                    .ConfigureWarnings(QuietExpectedFailures));
                break;
            case "SQLSERVER":
                var sqlServer = WithDefaults(Required(connectionString, "SqlServer"), ("Connect Timeout", ConnectTimeoutSeconds), ("Command Timeout", CommandTimeoutSeconds));
                Parsed(() => new Microsoft.Data.SqlClient.SqlConnectionStringBuilder(sqlServer));
                services.AddSingleton<IDatabaseLocation>(new ServerDatabaseLocation());
                services.AddSingleton<IDatabaseDialect, SqlServerDialect>();
                services.AddDbContextPool<KeyManagerDbContext, SqlServerKeyManagerDbContext>(options => options
                    .UseSqlServer(sqlServer, sql => sql.EnableRetryOnFailure(1, TimeSpan.FromMilliseconds(500), null))
                    .ConfigureWarnings(QuietExpectedFailures));
                break;
            default:
                throw new InvalidOperationException($"Database:Provider '{provider}' is not supported; use Sqlite, Postgres or SqlServer.");
        }

        services.AddSingleton<GroupCommit.GroupCommitWriter>();
        services.AddSingleton(sp => new RecentReads<Domain.Keys.KeypairId, KeypairRow>(sp.GetRequiredService<IServiceScopeFactory>(), EfKeypairRepository.RecentLifetime));
        services.AddSingleton(sp => new RecentReads<string, CredentialRow>(sp.GetRequiredService<IServiceScopeFactory>(), EfCredentialRepository.RecentLifetime));
        services.AddScoped<DatabaseWork>();
        services.AddScoped<IKeypairRepository, EfKeypairRepository>();
        services.AddScoped<ICredentialRepository, EfCredentialRepository>();
        services.AddScoped<IReplayGuard, EfReplayGuard>();
        services.AddScoped<IRequestLog, EfRequestLog>();
        services.AddScoped<DatabaseInitializer>();
    }

    /// <summary>
    /// <c>Database:SqliteSynchronous</c>: <c>Full</c> (default: a committed entry survives power
    /// loss) or <c>Normal</c> (survives a process crash, not an OS crash; much faster).
    /// </summary>
    private static string SqliteSynchronous(IConfiguration configuration) =>
        configuration[$"{DatabaseOptions.Section}:SqliteSynchronous"]?.ToUpperInvariant() switch
        {
            null or "FULL" => "FULL",
            "NORMAL" => "NORMAL",
            var other => throw new InvalidOperationException($"Database:SqliteSynchronous '{other}' is not supported; use Full or Normal."),
        };

    /// <summary>
    /// A connection string the provider cannot read stops start-up naming the setting (the
    /// provider's own message names neither it nor the file it came from). The provider's message
    /// is not repeated: a password with an unquoted ';' in it reads as a keyword, which it names.
    /// </summary>
    private static T Parsed<T>(Func<T> parse)
    {
        try
        {
            return parse();
        }
        catch (Exception e) when (e is ArgumentException or FormatException or KeyNotFoundException)
        {
            throw new InvalidOperationException("ConnectionStrings:KeyManager cannot be read: it has a keyword the provider does not know, a malformed value, or a value with ';' or '=' that is not quoted.", e);
        }
    }

    private static string Required(string? connectionString, string provider) =>
        string.IsNullOrWhiteSpace(connectionString)
            ? throw new InvalidOperationException($"ConnectionStrings:KeyManager is required with Database:Provider={provider}.")
            : connectionString;

    /// <summary>
    /// Sets each of <paramref name="defaults"/> that the connection string does not set itself,
    /// with or without spaces and in any case (<c>Command Timeout</c>, <c>commandtimeout</c>).
    /// </summary>
    private static string WithDefaults(string connectionString, params (string Key, object Value)[] defaults)
    {
        var builder = Parsed(() => new DbConnectionStringBuilder { ConnectionString = connectionString });
        var present = builder.Keys.Cast<string>().Select(Normalized).ToHashSet(StringComparer.OrdinalIgnoreCase);
        foreach (var (key, value) in defaults)
        {
            if (!present.Contains(Normalized(key)))
            {
                builder[key] = value;
            }
        }

        return builder.ConnectionString;

        static string Normalized(string key) => key.Replace(" ", string.Empty, StringComparison.Ordinal);
    }

    /// <summary>
    /// Microsoft.Data.Sqlite retries a statement on a locked file until its command timeout (30 s
    /// unless set), on top of SQLite's own busy timeout (5 s): with another process holding the
    /// file's write lock, a commit hung about 35 s before it failed, long after its request's 503,
    /// and the writer said nothing meanwhile. Statements get 4 s here too, as on the server
    /// databases, unless the connection string sets <c>Default Timeout</c>; the busy timeout then
    /// ends them after 5 s. The limit is on waiting for the lock, not on a statement's work.
    /// </summary>
    private static string WithSqliteCommandTimeout(string connectionString)
    {
        var keys = Parsed(() => new DbConnectionStringBuilder { ConnectionString = connectionString }).Keys.Cast<string>()
            .Select(k => k.Replace(" ", string.Empty, StringComparison.Ordinal));
        return keys.Any(k => k.Equals("DefaultTimeout", StringComparison.OrdinalIgnoreCase) || k.Equals("CommandTimeout", StringComparison.OrdinalIgnoreCase))
            ? connectionString
            : WithDefaults(connectionString, ("Default Timeout", CommandTimeoutSeconds));
    }

    /// <summary>
    /// A duplicate id is an expected answer (409), and a failed statement, connection or query is
    /// logged once by whoever handles it (a request's 503, a job's retry): EF Core's own error lines
    /// for them only flooded the log (during an outage, about 1,000 a second for two instances).
    /// </summary>
    private static void QuietExpectedFailures(WarningsConfigurationBuilder warnings) =>
        warnings.Log(
            (CoreEventId.SaveChangesFailed, LogLevel.Debug),
            (RelationalEventId.CommandError, LogLevel.Debug),
            (RelationalEventId.ConnectionError, LogLevel.Debug),
            (CoreEventId.QueryIterationFailed, LogLevel.Debug));

    private sealed class ServerDatabaseLocation : IDatabaseLocation
    {
        public string DataDirectory => Directory.GetCurrentDirectory();
    }
}
