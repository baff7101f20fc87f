using System.Text.Json;
using LocalKeyManager.Infrastructure.Crypto.Backup;

namespace LocalKeyManager.Api.Cli;

/// <summary>
/// <c>keys export-backup --out FILE</c>, <c>keys verify-backup --in FILE</c>,
/// <c>keys restore-backup --in FILE</c>. The secret comes from <c>--passphrase-env VAR</c> or
/// <c>--passphrase-file F</c> (never the command line itself, where <c>ps</c> shows it), or for
/// recipient backups <c>--recipient PUBLIC.pem</c> (export) / <c>--private-key PRIVATE.pem</c>
/// (verify, restore).
/// </summary>
public static class BackupCommand
{
    public static async Task<int> RunAsync(string subcommand, Dictionary<string, string> options, string[] rest)
    {
        var export = subcommand == "export-backup";
        var path = options.TryGetValue(export ? "out" : "in", out var p) ? p : throw new UsageException($"--{(export ? "out" : "in")} FILE is required.");
        var secret = await SecretAsync(options, export);

        using var host = await CommandHost.StartAsync(rest);
        var backup = host.Services.GetRequiredService<KeyBackup>();
        try
        {
            object answer = subcommand switch
            {
                "export-backup" => new { exported = await backup.ExportAsync(path, secret, CancellationToken.None), file = path },
                "verify-backup" => new { verified = await backup.VerifyAsync(path, secret, CancellationToken.None), file = path },
                _ => await RestoreAsync(backup, path, secret),
            };
            Console.WriteLine(JsonSerializer.Serialize(answer, CommandHost.Json));
            return answer is RestoreSummary { Conflicts.Count: > 0 } summary
                ? CommandLine.Fail($"{summary.Conflicts.Count} keypair(s) in the backup were not restored: this database holds a different key under the same id (listed in \"conflicts\"); nothing was overwritten.", 1)
                : 0;
        }
        catch (BackupException e)
        {
            return CommandLine.Fail(e.Message, 1);
        }
        catch (IOException e) when (export)
        {
            return CommandLine.Fail($"Cannot write {path}: {e.Message} (an existing file is never overwritten).", 1);
        }
    }

    private static async Task<RestoreSummary> RestoreAsync(KeyBackup backup, string path, BackupSecret secret)
    {
        var (restored, skipped, conflicts) = await backup.RestoreAsync(path, secret, CancellationToken.None);
        return new RestoreSummary(restored, skipped, conflicts);
    }

    private static async Task<BackupSecret> SecretAsync(Dictionary<string, string> options, bool export)
    {
        if (options.TryGetValue("passphrase-env", out var variable))
        {
            var value = Environment.GetEnvironmentVariable(variable);
            return string.IsNullOrEmpty(value) ? throw new UsageException($"The environment variable {variable} is empty.") : BackupSecret.FromPassphrase(value);
        }

        if (options.TryGetValue("passphrase-file", out var file))
        {
            return BackupSecret.FromPassphrase((await File.ReadAllTextAsync(file)).TrimEnd('\r', '\n'));
        }

        var pemOption = export ? "recipient" : "private-key";
        if (options.TryGetValue(pemOption, out var pem))
        {
            return BackupSecret.FromRecipient(await File.ReadAllTextAsync(pem));
        }

        throw new UsageException($"Give --passphrase-env VAR, --passphrase-file FILE or --{pemOption} FILE.pem.");
    }

    private sealed record RestoreSummary(int Restored, int AlreadyPresent, List<string> Conflicts);
}
