using Testcontainers.MsSql;

namespace LocalKeyManager.TestSupport;

/// <summary>
/// A SQL Server for the tests, through Testcontainers: only where a Docker engine answers (SQL
/// Server cannot run on these build machines otherwise). One container serves the whole run.
/// </summary>
public static class SqlServerServer
{
    private static readonly Lazy<Task<(string? ConnectionString, string? Reason)>> Server = new(StartAsync);

    /// <summary>The server's connection string, or null with the reason the SQL Server tests skip.</summary>
    public static Task<(string? ConnectionString, string? Reason)> GetAsync() => Server.Value;

    private static async Task<(string?, string?)> StartAsync()
    {
        var dockerHost = Environment.GetEnvironmentVariable("DOCKER_HOST");
        if (string.IsNullOrEmpty(dockerHost) && !File.Exists("/var/run/docker.sock"))
        {
            return (null, "no Docker engine here (no DOCKER_HOST, no /var/run/docker.sock): SQL Server was NOT tested");
        }

        try
        {
            var container = new MsSqlBuilder("mcr.microsoft.com/mssql/server:2022-CU14-ubuntu-22.04").Build();
            using var timeout = new CancellationTokenSource(TimeSpan.FromMinutes(3));
            await container.StartAsync(timeout.Token);
            return (container.GetConnectionString(), null);
        }
        catch (Exception e) when (e is not OutOfMemoryException)
        {
            return (null, $"the Docker engine did not start SQL Server ({e.GetType().Name}: {e.Message.Split('\n')[0]}): SQL Server was NOT tested");
        }
    }
}
