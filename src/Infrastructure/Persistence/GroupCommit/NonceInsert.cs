using System.Data.Common;
using System.Globalization;
using System.Text;
using Microsoft.EntityFrameworkCore;
using Microsoft.EntityFrameworkCore.Storage;
using NodaTime;

namespace LocalKeyManager.Infrastructure.Persistence.GroupCommit;

/// <summary>
/// One statement for many replay records, for databases with <c>ON CONFLICT DO NOTHING</c> and
/// <c>RETURNING</c> (SQLite 3.35+, PostgreSQL): the rows it returns are those inserted now, i.e.
/// the requests that were first to use their nonce. Runs in the caller's transaction.
/// </summary>
internal static class NonceInsert
{
    public static async Task<HashSet<(string, string, long)>> InsertReturningAsync(
        KeyManagerDbContext db, IReadOnlyList<NonceRow> rows, Func<Instant, object> seenAt, CancellationToken cancellationToken)
    {
        var inserted = new HashSet<(string, string, long)>();
        if (rows.Count == 0)
        {
            return inserted;
        }

        var connection = db.Database.GetDbConnection();
        await using var command = connection.CreateCommand();
        command.Transaction = db.Database.CurrentTransaction?.GetDbTransaction();
        command.CommandText = Statement(command, rows, seenAt) + " RETURNING credential_id, nonce, ts";
        await db.Database.OpenConnectionAsync(cancellationToken);
        try
        {
            await using var reader = await command.ExecuteReaderAsync(cancellationToken);
            while (await reader.ReadAsync(cancellationToken))
            {
                inserted.Add((reader.GetString(0), reader.GetString(1), reader.GetInt64(2)));
            }
        }
        finally
        {
            await db.Database.CloseConnectionAsync();
        }

        return inserted;
    }

    /// <summary>
    /// <c>INSERT INTO hawk_nonces ... VALUES (...), ... ON CONFLICT DO NOTHING</c> for
    /// <paramref name="rows"/>, with the values bound on <paramref name="command"/>
    /// (as <c>@c0, @n0, @t0, @s0</c>, ...).
    /// </summary>
    public static string Statement(DbCommand command, IReadOnlyList<NonceRow> rows, Func<Instant, object> seenAt)
    {
        var sql = new StringBuilder("INSERT INTO hawk_nonces (credential_id, nonce, ts, seen_at) VALUES ");
        for (var i = 0; i < rows.Count; i++)
        {
            sql.Append(i == 0 ? string.Empty : ", ").Append(CultureInfo.InvariantCulture, $"(@c{i}, @n{i}, @t{i}, @s{i})");
            command.AddParameter($"@c{i}", rows[i].CredentialId);
            command.AddParameter($"@n{i}", rows[i].Nonce);
            command.AddParameter($"@t{i}", rows[i].Ts);
            command.AddParameter($"@s{i}", seenAt(rows[i].SeenAt));
        }

        return sql.Append(" ON CONFLICT DO NOTHING").ToString();
    }
}
