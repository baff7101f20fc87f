using Microsoft.EntityFrameworkCore.Storage;
using Npgsql.EntityFrameworkCore.PostgreSQL;

namespace LocalKeyManager.Infrastructure.Persistence.Postgres;

/// <summary>
/// Retries once what failed to reach the database (a dropped or refused connection), but not a
/// command that timed out: a database that hangs would otherwise cost two command timeouts per
/// call, past the 5 s within which API.md promises a 503 (the fault suite measured 8.4 s).
/// </summary>
internal sealed class PostgresExecutionStrategy(ExecutionStrategyDependencies dependencies)
    : NpgsqlRetryingExecutionStrategy(dependencies, 1, TimeSpan.FromMilliseconds(500), null)
{
    protected override bool ShouldRetryOn(Exception? exception) => !TimedOut(exception) && base.ShouldRetryOn(exception);

    private static bool TimedOut(Exception? exception)
    {
        for (; exception is not null; exception = exception.InnerException)
        {
            if (exception is TimeoutException)
            {
                return true;
            }
        }

        return false;
    }
}
