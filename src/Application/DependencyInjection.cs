using FluentValidation;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.DependencyInjection.Extensions;

namespace LocalKeyManager.Application;

public static class DependencyInjection
{
    /// <summary>Validators and what the pipeline behaviors need. The mediator itself is wired in Api.</summary>
    public static IServiceCollection AddApplication(this IServiceCollection services)
    {
        services.AddValidatorsFromAssemblyContaining<ApplicationAssembly>(ServiceLifetime.Singleton, includeInternalTypes: true);
        services.TryAddSingleton<Telemetry.KeyManagerMetrics>();
        return services;
    }
}
