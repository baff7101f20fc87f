using System.Diagnostics;

namespace LocalKeyManager.Api.FunctionalTests;

/// <summary>
/// The real executable, as an operator or a container entrypoint runs it: each test has a
/// working directory of its own, where the default database and master key file are made.
/// </summary>
public abstract class CommandLineHarness : IDisposable
{
    protected string WorkingDirectory { get; } = Directory.CreateTempSubdirectory("lkm-cli-").FullName;
    /// <summary>Environment variables every run of the executable gets.</summary>
    protected Dictionary<string, string> ProcessEnvironment { get; } = [];

    public void Dispose()
    {
        Directory.Delete(WorkingDirectory, recursive: true);
        GC.SuppressFinalize(this);
    }

    protected Task<(int ExitCode, string Stdout, string Stderr)> RunAsync(params string[] args) =>
        RunWithEnvironmentAsync(new Dictionary<string, string>(), args);

    protected async Task<(int ExitCode, string Stdout, string Stderr)> RunWithEnvironmentAsync(Dictionary<string, string> environment, params string[] args)
    {
        var dll = Path.Combine(AppContext.BaseDirectory, "lkm.dll");
        var info = new ProcessStartInfo("dotnet") { WorkingDirectory = WorkingDirectory, RedirectStandardOutput = true, RedirectStandardError = true };
        info.ArgumentList.Add(dll);
        foreach (var (name, value) in ProcessEnvironment)
        {
            info.Environment[name] = value;
        }

        foreach (var arg in args)
        {
            info.ArgumentList.Add(arg);
        }

        foreach (var (name, value) in environment)
        {
            info.Environment[name] = value;
        }

        using var process = Process.Start(info)!;
        var stdout = process.StandardOutput.ReadToEndAsync(TestContext.Current.CancellationToken);
        var stderr = process.StandardError.ReadToEndAsync(TestContext.Current.CancellationToken);
        await process.WaitForExitAsync(TestContext.Current.CancellationToken);
        return (process.ExitCode, await stdout, await stderr);
    }

    /// <summary>
    /// Runs the executable with its stdout redirected by a Unix shell (<paramref name="redirect"/>:
    /// "&gt;&amp;-" closes it, "&gt;/dev/full" makes every write fail with a full disk).
    /// </summary>
    protected Task<(int ExitCode, string Stderr)> RunWithStdoutAsync(string redirect, params string[] args) =>
        RunWithStdoutAsync(WorkingDirectory, ProcessEnvironment, redirect, args);

    /// <summary>As the instance method, in <paramref name="directory"/> with <paramref name="environment"/>.</summary>
    internal static async Task<(int ExitCode, string Stderr)> RunWithStdoutAsync(
        string directory, IReadOnlyDictionary<string, string> environment, string redirect, params string[] args)
    {
        var info = new ProcessStartInfo("sh") { WorkingDirectory = directory, RedirectStandardError = true };
        foreach (var arg in new[] { "-c", $"exec \"$0\" \"$@\" {redirect}", "dotnet", Path.Combine(AppContext.BaseDirectory, "lkm.dll") }.Concat(args))
        {
            info.ArgumentList.Add(arg);
        }

        foreach (var (name, value) in environment)
        {
            info.Environment[name] = value;
        }

        using var process = Process.Start(info)!;
        var stderr = await process.StandardError.ReadToEndAsync(TestContext.Current.CancellationToken);
        await process.WaitForExitAsync(TestContext.Current.CancellationToken);
        return (process.ExitCode, stderr);
    }

    protected static async Task ExecuteSqliteAsync(string connectionString, string sql)
    {
        await using var connection = new Microsoft.Data.Sqlite.SqliteConnection(connectionString);
        await connection.OpenAsync(TestContext.Current.CancellationToken);
        await using var command = connection.CreateCommand();
        command.CommandText = sql;
        await command.ExecuteNonQueryAsync(TestContext.Current.CancellationToken);
    }

    protected static async Task ExecuteOnPostgresServerAsync(params string[] statements)
    {
        await using var server = new Npgsql.NpgsqlConnection(TestSupport.TestDatabase.PostgresServer);
        await server.OpenAsync(TestContext.Current.CancellationToken);
        foreach (var statement in statements)
        {
            await using var command = new Npgsql.NpgsqlCommand(statement, server);
            await command.ExecuteNonQueryAsync(TestContext.Current.CancellationToken);
        }
    }

    /// <summary>The command line's entries in an installation's request log, oldest first.</summary>
    internal static async Task<List<(string Command, string Detail)>> CommandEntriesAsync(string directory)
    {
        await using var connection = new Microsoft.Data.Sqlite.SqliteConnection($"Data Source={Path.Combine(directory, "lkm.db")};Mode=ReadOnly;Pooling=false");
        await connection.OpenAsync(TestContext.Current.CancellationToken);
        await using var command = connection.CreateCommand();
        command.CommandText = "SELECT request_uri, detail FROM request_log WHERE credential_id = '(command line)' ORDER BY seq";
        await using var reader = await command.ExecuteReaderAsync(TestContext.Current.CancellationToken);
        var entries = new List<(string, string)>();
        while (await reader.ReadAsync(TestContext.Current.CancellationToken))
        {
            entries.Add((reader.GetString(0), reader.GetString(1)));
        }

        return entries;
    }
}
