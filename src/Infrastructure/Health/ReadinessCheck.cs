using System.Security.Cryptography;
using LocalKeyManager.Domain.Crypto;
using LocalKeyManager.Infrastructure.Persistence;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.DependencyInjection;

namespace LocalKeyManager.Infrastructure.Health;

/// <summary>
/// Can this instance serve? The database answers within a short time with a current schema, and
/// the key protector wraps and unwraps. Returns null when ready, else what is wrong (no secrets).
/// </summary>
public sealed class ReadinessCheck(IServiceScopeFactory scopes, IKeyProtector protector)
{
    private static readonly TimeSpan Timeout = TimeSpan.FromSeconds(3);

    private readonly Lock _lock = new();
    private Task<string?>? _databaseCheck;

    public async Task<string?> CheckAsync(CancellationToken cancellationToken)
    {
        try
        {
            if (await DatabaseCheck().WaitAsync(Timeout, cancellationToken) is { } problem)
            {
                return problem;
            }
        }
        catch (TimeoutException)
        {
            return "database unreachable";
        }

        try
        {
            Span<byte> probe = stackalloc byte[16];
            RandomNumberGenerator.Fill(probe);
            var wrapped = protector.Wrap(probe, "lkm/readiness");
            Span<byte> back = stackalloc byte[protector.MaxPlaintextLength(wrapped)];
            var length = protector.Unwrap(wrapped, "lkm/readiness", back);
            return back[..length].SequenceEqual(probe) ? null : "key protector returned wrong data";
        }
        catch (Exception e) when (e is KeyUnwrapException or CryptographicException or InvalidOperationException)
        {
            return "key protector unusable";
        }
    }

    /// <summary>
    /// The database part, on a thread of its own and without a cancellation token, one at a time:
    /// Npgsql answers a timeout or a cancellation by sending PostgreSQL a cancel request and reading
    /// the reply synchronously with no time limit, so against a server that accepts connections but
    /// never answers, each probe would otherwise hold a pool thread until it woke up. Callers give up
    /// after <see cref="Timeout"/>; probes that come meanwhile share the check under way.
    /// </summary>
    private Task<string?> DatabaseCheck()
    {
        lock (_lock)
        {
            if (_databaseCheck is null || _databaseCheck.IsCompleted)
            {
                _databaseCheck = Task.Factory.StartNew(CheckDatabase, CancellationToken.None, TaskCreationOptions.LongRunning | TaskCreationOptions.DenyChildAttach, TaskScheduler.Default);
            }

            return _databaseCheck;
        }
    }

    private string? CheckDatabase()
    {
        try
        {
            using var scope = scopes.CreateScope();
            var db = scope.ServiceProvider.GetRequiredService<KeyManagerDbContext>();
            if (!db.Database.CanConnect())
            {
                return "database unreachable";
            }

            return db.Database.GetPendingMigrations().Any() ? "database schema behind" : null;
        }
        catch (Exception)
        {
            return "database unreachable";
        }
    }
}
