using System.Security.Cryptography;
using LocalKeyManager.Domain.Crypto;
using LocalKeyManager.Infrastructure.Crypto.KeyProtection;
using LocalKeyManager.Infrastructure.Persistence;
using Microsoft.EntityFrameworkCore;
using Microsoft.EntityFrameworkCore.Infrastructure;
using Microsoft.EntityFrameworkCore.Storage;
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
                return MissingTable(db, dialect) ?? dialect.WriteProblem(db.Database.GetDbConnection());
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

    /// <summary>
    /// A table of the model the database does not let this login read (dropped, renamed, or no
    /// right to it), or null: the migrations history says nothing of what was done to the schema
    /// since. One statement while all are there, and no rows read.
    /// </summary>
    private static string? MissingTable(KeyManagerDbContext db, IDatabaseDialect dialect)
    {
        var sql = db.GetService<ISqlGenerationHelper>();
        var tables = db.Model.GetEntityTypes()
            .Where(e => e.GetTableName() is not null)
            .Select(e => (Name: e.GetTableName()!, Probe: $"(SELECT COUNT(*) FROM {sql.DelimitIdentifier(e.GetTableName()!, e.GetSchema())} WHERE 1 = 0)"))
            .Distinct()
            .ToList();
        var connection = db.Database.GetDbConnection();
        if (TryRead(connection, string.Join(", ", tables.Select(t => t.Probe))))
        {
            return null;
        }

        if (!TryRead(connection, "1"))
        {
            // Not a table: the connection itself failed (dropped, busy, the server going away).
            dialect.ForgetPreparedStatements(db);
            return "database unreachable";
        }

        var missing = tables.FirstOrDefault(t => !TryRead(connection, t.Probe)).Name;
        // A statement refused in the use that prepared it leaves Npgsql out of step (PostgresDialect).
        dialect.ForgetPreparedStatements(db);
        return missing is null ? null : $"database table {missing} missing or not readable by this login";
    }

    private static bool TryRead(System.Data.Common.DbConnection connection, string columns)
    {
        try
        {
            using var command = connection.CreateCommand();
            command.CommandText = "SELECT " + columns;
            command.ExecuteScalar();
            return true;
        }
        catch (System.Data.Common.DbException)
        {
            return false;
        }
    }
}
