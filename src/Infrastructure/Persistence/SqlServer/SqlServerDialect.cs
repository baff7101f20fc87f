using Microsoft.Data.SqlClient;
using Microsoft.EntityFrameworkCore;

namespace LocalKeyManager.Infrastructure.Persistence.SqlServer;

internal sealed class SqlServerDialect : IDatabaseDialect
{
    private static readonly int[] UniqueViolations = [2601, 2627];

    // Login/connection failures, deadlock victim, timeouts, failover and throttling codes.
    private static readonly int[] Unavailable = [-2, 20, 64, 233, 1205, 4060, 10053, 10054, 10060, 10928, 10929, 18456, 40197, 40501, 40613, 49918, 49919, 49920];

    public string Name => "SqlServer";

    public bool GroupCommitInTransaction => true;

    public string LockChainHeadSql => "SELECT id, seq, hash FROM request_log_chain WITH (UPDLOCK, HOLDLOCK) WHERE id = 1";

    public bool IsUniqueViolation(DbUpdateException exception) =>
        exception.InnerException is SqlException e && UniqueViolations.Contains(e.Number);

    public bool IsUnavailable(Exception exception) => exception switch
    {
        SqlException e => Unavailable.Contains(e.Number),
        TimeoutException => true,
        _ => exception.InnerException is not null && IsUnavailable(exception.InnerException),
    };

    public Task<bool> TryAppendChainedAsync(KeyManagerDbContext db, AuditChain.ChainHeadRow expected, IReadOnlyList<AuditChain.LinkedEntry> entries, CancellationToken cancellationToken) =>
        Task.FromResult(false);

    public Task PrepareAsync(KeyManagerDbContext db, CancellationToken cancellationToken) => Task.CompletedTask;

    public async Task<HashSet<(string, string, long)>> InsertNoncesIfAbsentAsync(KeyManagerDbContext db, IReadOnlyList<NonceRow> nonces, CancellationToken cancellationToken)
    {
        // SQL Server has no ON CONFLICT; the primary key still decides, and a duplicate is
        // swallowed inside the batch (no row affected) so it never surfaces as an exception.
        var inserted = new HashSet<(string, string, long)>();
        foreach (var nonce in nonces)
        {
            var rows = await db.Database.ExecuteSqlAsync(
                $"""
                BEGIN TRY
                    INSERT INTO hawk_nonces (credential_id, nonce, ts, seen_at) VALUES ({nonce.CredentialId}, {nonce.Nonce}, {nonce.Ts}, {nonce.SeenAt.ToDateTimeUtc()});
                END TRY
                BEGIN CATCH
                    IF ERROR_NUMBER() NOT IN (2601, 2627) THROW;
                END CATCH
                """,
                cancellationToken);
            if (rows == 1)
            {
                inserted.Add((nonce.CredentialId, nonce.Nonce, nonce.Ts));
            }
        }

        return inserted;
    }
}
