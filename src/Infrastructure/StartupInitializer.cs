using LocalKeyManager.Infrastructure.Crypto.KeyProtection;
using LocalKeyManager.Infrastructure.Persistence;
using Microsoft.Extensions.DependencyInjection;

namespace LocalKeyManager.Infrastructure;

/// <summary>
/// What must hold before the service answers anything, in order: the schema is current,
/// then the master key is loaded and proven against the stored keys. The service and every
/// command-line command run it first.
/// </summary>
public sealed class StartupInitializer(IServiceScopeFactory scopes)
{
    private readonly SemaphoreSlim _once = new(1, 1);
    private bool _done;

    public async Task InitializeAsync(CancellationToken cancellationToken)
    {
        await _once.WaitAsync(cancellationToken);
        try
        {
            if (_done)
            {
                return;
            }

            await using var scope = scopes.CreateAsyncScope();
            await scope.ServiceProvider.GetRequiredService<DatabaseInitializer>().InitializeAsync(cancellationToken);
            await scope.ServiceProvider.GetRequiredService<MasterKeyInitializer>().InitializeAsync(cancellationToken);
            _done = true;
        }
        finally
        {
            _once.Release();
        }
    }
}
