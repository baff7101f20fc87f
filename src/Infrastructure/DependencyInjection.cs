using LocalKeyManager.Domain.Crypto;
using LocalKeyManager.Infrastructure.Crypto;
using LocalKeyManager.Infrastructure.Crypto.KeyProtection;
using LocalKeyManager.Infrastructure.Hawk;
using LocalKeyManager.Infrastructure.Persistence;
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
        services.AddOptions<KeyProtectionOptions>().BindConfiguration(KeyProtectionOptions.Section).ValidateDataAnnotations().ValidateOnStart();
        services.AddOptions<KeyCacheOptions>().BindConfiguration(KeyCacheOptions.Section).ValidateDataAnnotations().ValidateOnStart();

        services.TryAddSingleton<IClock>(SystemClock.Instance);
        services.TryAddSingleton<Application.Telemetry.KeyManagerMetrics>();
        DatabaseRegistration.Add(services, configuration);

        services.AddSingleton<MasterKeyHolder>();
        services.AddSingleton<Crypto.KeyProtection.Pkcs11.Pkcs11Holder>();
        services.AddSingleton<LocalKeyProtector>();
        services.AddSingleton<Crypto.KeyProtection.Pkcs11.Pkcs11KeyProtector>();
        services.AddSingleton<IKeyProtector>(sp => configuration.GetSection(KeyProtectionOptions.Section).Get<KeyProtectionOptions>()?.IsPkcs11 == true
            ? sp.GetRequiredService<Crypto.KeyProtection.Pkcs11.Pkcs11KeyProtector>()
            : sp.GetRequiredService<LocalKeyProtector>());
        services.AddSingleton<PrivateKeyCache>();
        services.AddSingleton<RsaWorkers>();
        services.AddSingleton<Persistence.GroupCommit.IProcessorBacklog>(sp => sp.GetRequiredService<RsaWorkers>());
        services.TryAddSingleton(TimeProvider.System);
        services.AddSingleton<Persistence.DatabaseOutage>();
        services.AddSingleton<IRsaEngine, RsaEngine>();
        services.AddScoped<MasterKeyInitializer>();
        services.AddSingleton<MasterKeyRotation>();
        services.AddSingleton<Crypto.Backup.KeyBackup>();
        services.AddSingleton<Persistence.AuditChain.ChainVerifier>();
        services.AddSingleton<StartupInitializer>();

        services.AddScoped<HawkAuthenticator>();
        services.AddSingleton<FailedMacTracker>();
        services.AddSingleton<Health.ReadinessCheck>();
        return services;
    }

    /// <summary>The periodic jobs the service runs (not the command line).</summary>
    public static IServiceCollection AddInfrastructureJobs(this IServiceCollection services)
    {
        services.AddHostedService<Persistence.GroupCommit.GroupCommitDrain>();
        services.AddHostedService<NonceCleanupService>();
        services.AddHostedService<Jobs.KeypairCountJob>();
        services.AddHostedService<Jobs.NativeMemoryTrimJob>();
        services.AddHostedService<Jobs.PrivateKeyCacheSweepJob>();
        return services;
    }
}
