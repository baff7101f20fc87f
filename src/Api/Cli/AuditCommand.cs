using System.Text.Json;
using LocalKeyManager.Infrastructure.Persistence.AuditChain;

namespace LocalKeyManager.Api.Cli;

/// <summary>
/// <c>audit verify</c>: walks the request-log hash chain; exit 0 and a JSON summary when it holds,
/// exit 1 naming the first broken link otherwise. It needs the database only.
/// </summary>
public static class AuditCommand
{
    public static async Task<int> RunAsync(string[] args)
    {
        if (args.Length == 0 || args[0] != "verify")
        {
            throw new UsageException("audit needs a subcommand: verify.");
        }

        var (_, configuration) = CommandHost.Split(args[1..]);
        // The log and its chain are all in the database: the master key (a key file, an HSM) is
        // not opened, so the log can be checked where only the database can be reached.
        using var host = await CommandHost.StartAsync(configuration, initialize: false);
        await using (var scope = host.Services.CreateAsyncScope())
        {
            await scope.ServiceProvider.GetRequiredService<Infrastructure.Persistence.DatabaseInitializer>().InitializeAsync(CancellationToken.None);
        }

        var report = await host.Services.GetRequiredService<ChainVerifier>().VerifyAsync(CancellationToken.None);
        CommandHost.PrintAnswer(JsonSerializer.Serialize(report, CommandHost.Json), done: null);
        return report.Intact ? 0 : CommandLine.Fail($"the request-log chain is broken at entry {report.BrokenAtSeq}: {report.Problem}", 1);
    }
}
