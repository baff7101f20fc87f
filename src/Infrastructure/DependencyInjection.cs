using LocalKeyManager.Domain.Audit;
using LocalKeyManager.Domain.Credentials;
using LocalKeyManager.Domain.Crypto;
using LocalKeyManager.Domain.Keys;
using LocalKeyManager.Infrastructure.Crypto;
using LocalKeyManager.Infrastructure.Crypto.KeyProtection;
using LocalKeyManager.Infrastructure.Hawk;
using LocalKeyManager.Infrastructure.Persistence;
using LocalKeyManager.Infrastructure.Persistence.Repositories;
using LocalKeyManager.Infrastructure.Persistence.Sqlite;
using Microsoft.EntityFrameworkCore;
using Microsoft.EntityFrameworkCore.Diagnostics;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.DependencyInjection.Extensions;
using NodaTime;

namespace LocalKeyManager.Infrastructure;

public static class DependencyInjection
{
    public static IServiceCollection AddInfrastructure(this IServiceCollection services, IConfiguration configuration)
    {
        services.AddOptions<DatabaseOptions>().BindConfiguration(DatabaseOptions.Section).ValidateOnStart();
        services.AddOptions<HawkOptions>().BindConfiguration(HawkOptions.Section).ValidateDataAnnotations().ValidateOnStart();
        services.AddOptions<KeyProtectionOptions>().BindConfiguration(KeyProtectionOptions.Section).ValidateOnStart();
        services.AddOptions<KeyCacheOptions>().BindConfiguration(KeyCacheOptions.Section).ValidateDataAnnotations().ValidateOnStart();

        services.TryAddSingleton<IClock>(SystemClock.Instance);
        AddPersistence(services, configuration);

        services.AddSingleton<MasterKeyHolder>();
        services.AddSingleton<IKeyProtector, LocalKeyProtector>();
        services.AddSingleton<PrivateKeyCache>();
        services.AddSingleton<IRsaEngine, RsaEngine>();
        services.AddScoped<MasterKeyInitializer>();
        services.AddSingleton<StartupInitializer>();

        services.AddScoped<HawkAuthenticator>();
        services.AddSingleton<Health.ReadinessCheck>();
        return services;
    }

    /// <summary>The periodic jobs the service runs (not the command line).</summary>
    public static IServiceCollection AddInfrastructureJobs(this IServiceCollection services)
    {
        services.AddHostedService<NonceCleanupService>();
        return services;
    }

    /// <summary>
    /// A duplicate id is an expected answer (409), and a database outage is logged once by the
    /// exception handler: EF's own error lines for them would only flood the log.
    /// </summary>
    private static void QuietExpectedFailures(WarningsConfigurationBuilder warnings) =>
        warnings.Log((CoreEventId.SaveChangesFailed, LogLevel.Debug), (RelationalEventId.CommandError, LogLevel.Debug));

    private static void AddPersistence(IServiceCollection services, IConfiguration configuration)
    {
        var provider = configuration[$"{DatabaseOptions.Section}:Provider"] ?? "Sqlite";
        var connectionString = configuration.GetConnectionString(DatabaseOptions.ConnectionStringName);

        if (!string.Equals(provider, "Sqlite", StringComparison.OrdinalIgnoreCase))
        {
            throw new InvalidOperationException($"Database:Provider '{provider}' is not supported; use 'Sqlite'.");
        }

        var sqlite = SqliteLocation.FromConnectionString(connectionString ?? DatabaseOptions.DefaultSqliteConnectionString);
        services.AddSingleton<IDatabaseLocation>(sqlite);
        services.AddSingleton<IDatabaseDialect, SqliteDialect>();
        services.AddDbContextPool<KeyManagerDbContext, SqliteKeyManagerDbContext>(options => options
            .UseSqlite(sqlite.ConnectionString)
            .AddInterceptors(new SqlitePragmaInterceptor())
            .ConfigureWarnings(QuietExpectedFailures));

        services.AddScoped<IKeypairRepository, EfKeypairRepository>();
        services.AddScoped<ICredentialRepository, EfCredentialRepository>();
        services.AddScoped<IReplayGuard, EfReplayGuard>();
        services.AddScoped<IRequestLog, EfRequestLog>();
        services.AddScoped<DatabaseInitializer>();
    }
}
