using System.Data.Common;
using System.Runtime.CompilerServices;
using Microsoft.Data.Sqlite;
using Microsoft.EntityFrameworkCore.Diagnostics;

namespace LocalKeyManager.Infrastructure.Persistence.Sqlite;

/// <summary>
/// Per-connection settings: the configured sync level (FULL by default, so a committed
/// request-log entry survives a power cut) and a busy timeout so that concurrent writers wait
/// for each other instead of failing, and temporary tables and statement journals in memory (the
/// group commit's multi-row inserts otherwise created and deleted a file under /var/tmp several
/// times a second), and secure delete: content a statement frees (a destroyed keypair's wrapped
/// private key, a re-wrapped key's old blob) is overwritten with zeros, not left in free pages of
/// the file. They belong to the native connection, which the pool
/// reuses, so they are applied once per native connection, not on every open.
/// (Write-ahead logging is a property of the file, set once at start-up by the dialect.)
/// </summary>
internal sealed class SqlitePragmaInterceptor(string synchronous) : DbConnectionInterceptor
{
    private readonly string _pragmas = $"PRAGMA synchronous={synchronous}; PRAGMA busy_timeout=5000; PRAGMA temp_store=MEMORY; PRAGMA secure_delete=ON;";
    private readonly ConditionalWeakTable<object, object> _prepared = [];

    public override void ConnectionOpened(DbConnection connection, ConnectionEndEventData eventData)
    {
        if (NeedsPragmas(connection, out var handle))
        {
            using var command = connection.CreateCommand();
            command.CommandText = _pragmas;
            command.ExecuteNonQuery();
            _prepared.AddOrUpdate(handle, handle);
        }
    }

    public override async Task ConnectionOpenedAsync(DbConnection connection, ConnectionEndEventData eventData, CancellationToken cancellationToken = default)
    {
        if (NeedsPragmas(connection, out var handle))
        {
            await using var command = connection.CreateCommand();
            command.CommandText = _pragmas;
            await command.ExecuteNonQueryAsync(cancellationToken);
            _prepared.AddOrUpdate(handle, handle);
        }
    }

    private bool NeedsPragmas(DbConnection connection, out object handle)
    {
        handle = (object?)(connection as SqliteConnection)?.Handle ?? connection;
        return !_prepared.TryGetValue(handle, out _);
    }
}
