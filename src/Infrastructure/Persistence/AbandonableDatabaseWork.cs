using Microsoft.Extensions.DependencyInjection;

namespace LocalKeyManager.Infrastructure.Persistence;

/// <summary>
/// Database work that its callers may stop waiting for: it runs synchronously, on a thread
/// (<see cref="DatabaseThreads"/>) and a database context of its own, with no cancellation token,
/// and callers bound their wait (<c>WaitAsync</c>). Npgsql answers a command timeout or a cancelled
/// token by sending PostgreSQL a cancel request and reading the reply synchronously with no time
/// limit; against a server that accepts connections but never answers, that held the caller (and a
/// pool thread) until the server woke up. Work started here blocks only its own thread and context,
/// which nothing else shares.
/// </summary>
internal static class AbandonableDatabaseWork
{
    public static Task<T> Start<T>(IServiceScopeFactory scopes, Func<KeyManagerDbContext, T> work)
    {
        var completion = new TaskCompletionSource<T>(TaskCreationOptions.RunContinuationsAsynchronously);
        DatabaseThreads.Shared.Run(() =>
        {
            try
            {
                using var scope = scopes.CreateScope();
                completion.SetResult(work(scope.ServiceProvider.GetRequiredService<KeyManagerDbContext>()));
            }
            catch (Exception e)
            {
                completion.SetException(e);
            }
        });
        return completion.Task;
    }
}
