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

    public async Task<string?> CheckAsync(CancellationToken cancellationToken)
    {
        using var timeout = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        timeout.CancelAfter(Timeout);
        try
        {
            await using var scope = scopes.CreateAsyncScope();
            var db = scope.ServiceProvider.GetRequiredService<KeyManagerDbContext>();
            if (!await db.Database.CanConnectAsync(timeout.Token))
            {
                return "database unreachable";
            }

            if ((await db.Database.GetPendingMigrationsAsync(timeout.Token)).Any())
            {
                return "database schema behind";
            }
        }
        catch (Exception e) when (e is not OperationCanceledException || !cancellationToken.IsCancellationRequested)
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
}
