using System.Data.Common;
using Microsoft.EntityFrameworkCore.Diagnostics;

namespace LocalKeyManager.Infrastructure.Persistence.Sqlite;

/// <summary>
/// Per-connection settings: full sync, so a committed request-log entry survives a power cut,
/// and a busy timeout so that concurrent writers wait for each other instead of failing.
/// (Write-ahead logging is a property of the file, set once at start-up by the dialect.)
/// </summary>
internal sealed class SqlitePragmaInterceptor(string synchronous) : DbConnectionInterceptor
{
    private readonly string _pragmas = $"PRAGMA synchronous={synchronous}; PRAGMA busy_timeout=5000;";

    public override void ConnectionOpened(DbConnection connection, ConnectionEndEventData eventData) => Apply(connection);

    public override async Task ConnectionOpenedAsync(DbConnection connection, ConnectionEndEventData eventData, CancellationToken cancellationToken = default)
    {
        await using var command = connection.CreateCommand();
        command.CommandText = _pragmas;
        await command.ExecuteNonQueryAsync(cancellationToken);
    }

    private void Apply(DbConnection connection)
    {
        using var command = connection.CreateCommand();
        command.CommandText = _pragmas;
        command.ExecuteNonQuery();
    }
}
