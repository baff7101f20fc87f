using FluentValidation;
using Microsoft.Extensions.DependencyInjection;

namespace LocalKeyManager.Application;

public static class DependencyInjection
{
    /// <summary>Validators and what the pipeline behaviors need. The mediator itself is wired in Api.</summary>
    public static IServiceCollection AddApplication(this IServiceCollection services)
    {
        services.AddValidatorsFromAssemblyContaining<ApplicationAssembly>(ServiceLifetime.Singleton, includeInternalTypes: true);
        services.AddSingleton<Telemetry.KeyManagerMetrics>();
        return services;
    }
}
