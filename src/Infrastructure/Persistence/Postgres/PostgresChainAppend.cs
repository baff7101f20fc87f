using System.Text;
using LocalKeyManager.Infrastructure.Persistence.AuditChain;
using Microsoft.EntityFrameworkCore;
using Npgsql;

namespace LocalKeyManager.Infrastructure.Persistence.Postgres;

/// <summary>
/// The request-log append on PostgreSQL in one statement and one round trip: a data-modifying
/// CTE moves the chain head only if it is still where this writer last saw it, and the entries
/// are inserted only if it moved. Another instance having appended meanwhile makes it insert
/// nothing; the writer then reads the head again and relinks.
/// </summary>
internal static class PostgresChainAppend
{
    public static async Task<bool> TryAppendAsync(KeyManagerDbContext db, ChainHeadRow expected, IReadOnlyList<LinkedEntry> entries, CancellationToken cancellationToken)
    {
        var last = entries[^1];
        var sql = new StringBuilder(
            "WITH head AS (UPDATE request_log_chain SET seq = @new_seq, hash = @new_hash WHERE id = 1 AND seq = @old_seq AND hash = @old_hash RETURNING 1) " +
            "INSERT INTO request_log (id, timestamp, credential_id, user_id, request_method, request_uri, status, keypair_id, client_address, duration_ms, detail, seq, prev_hash, hash) " +
            "SELECT v.* FROM (VALUES ");
        var parameters = new List<NpgsqlParameter>
        {
            new("new_seq", last.Seq),
            new("new_hash", last.Hash),
            new("old_seq", expected.Seq),
            new("old_hash", expected.Hash),
        };
        for (var i = 0; i < entries.Count; i++)
        {
            var (e, seq, prev, hash) = (entries[i].Entry, entries[i].Seq, entries[i].PrevHash, entries[i].Hash);
            sql.Append(i == 0 ? string.Empty : ", ").Append(
                $"(@i{i}::uuid, @t{i}::timestamptz, @c{i}::text, @u{i}::text, @m{i}::text, @r{i}::text, @s{i}::integer, @k{i}::text, @a{i}::text, @d{i}::double precision, @x{i}::text, @q{i}::bigint, @p{i}::bytea, @h{i}::bytea)");
            parameters.AddRange(
            [
                new($"i{i}", e.Id), new($"t{i}", e.Timestamp.ToDateTimeUtc()), new($"c{i}", e.CredentialId), new($"u{i}", e.UserId),
                new($"m{i}", e.RequestMethod), new($"r{i}", e.RequestUri), new($"s{i}", e.Status), new($"k{i}", (object?)e.KeypairId ?? DBNull.Value),
                new($"a{i}", (object?)e.ClientAddress ?? DBNull.Value), new($"d{i}", e.DurationMs), new($"x{i}", (object?)e.Detail ?? DBNull.Value),
                new($"q{i}", seq), new($"p{i}", prev), new($"h{i}", hash),
            ]);
        }

        sql.Append(") AS v WHERE EXISTS (SELECT 1 FROM head)");
        var inserted = await db.Database.ExecuteSqlRawAsync(sql.ToString(), parameters, cancellationToken);
        return inserted == entries.Count;
    }
}
