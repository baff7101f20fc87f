using System.Security.Cryptography;
using LocalKeyManager.Domain.Crypto;
using LocalKeyManager.Infrastructure.Crypto.KeyProtection;
using LocalKeyManager.Infrastructure.Persistence;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.DependencyInjection;

namespace LocalKeyManager.Infrastructure.Health;

/// <summary>
/// Can this instance serve? The database answers within a short time with a current schema and
/// takes this login's writes (<see cref="IDatabaseDialect.WriteProblem"/>), and the key protector
/// wraps and unwraps. Returns null when ready, else what is wrong (no secrets).
/// </summary>
public sealed class ReadinessCheck(IServiceScopeFactory scopes, IKeyProtector protector, IDatabaseDialect dialect)
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

        return KeyProtectorProbe.Fails(protector, "lkm/readiness") is null ? null : "key protector unusable";
    }

    /// <summary>
    /// The database part, as <see cref="AbandonableDatabaseWork"/> (a timeout token handed to Npgsql
    /// made every probe hang while PostgreSQL did), one at a time: probes that come meanwhile share
    /// the check under way, and each gives up after <see cref="Timeout"/>.
    /// </summary>
    private Task<string?> DatabaseCheck()
    {
        lock (_lock)
        {
            if (_databaseCheck is null || _databaseCheck.IsCompleted)
            {
                _databaseCheck = AbandonableDatabaseWork.Start(scopes, db => CheckDatabase(db, dialect));
            }

            return _databaseCheck;
        }
    }

    private static string? CheckDatabase(KeyManagerDbContext db, IDatabaseDialect dialect)
    {
        try
        {
            if (!db.Database.CanConnect())
            {
                return "database unreachable";
            }

            if (db.Database.GetPendingMigrations().Any())
            {
                return "database schema behind";
            }

            db.Database.OpenConnection();
            try
            {
                return dialect.WriteProblem(db.Database.GetDbConnection());
            }
            finally
            {
                db.Database.CloseConnection();
            }
        }
        catch (Exception)
        {
            return "database unreachable";
        }
    }
}
