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
        BackupSecret secret;
        try
        {
            secret = await SecretAsync(options, export);
        }
        catch (BackupException e)
        {
            return CommandLine.Fail(e.Message, 1);
        }

        try
        {
            if (subcommand == "verify-backup")
            {
                // The backup and its secret only: no database or master key is opened, or created
                // in an empty folder, so a backup can be checked wherever it is kept.
                var verified = await KeyBackup.VerifyAsync(path, secret, CancellationToken.None);
                CommandHost.PrintAnswer(JsonSerializer.Serialize(new { verified, file = path }, CommandHost.Json), done: null);
                return 0;
            }

            var inBackup = 0;
            if (!export)
            {
                // A wrong secret or a damaged file is refused before a new installation is set up for it.
                inBackup = await KeyBackup.VerifyAsync(path, secret, CancellationToken.None);
            }

            using var host = await CommandHost.StartAsync(rest, mayCreate: !export);
            var backup = host.Services.GetRequiredService<KeyBackup>();
            object answer;
            string done;
            if (export)
            {
                var exported = await ExportAsync(host.Services, backup, path, secret);
                answer = new { exported, file = path };
                done = $"The backup {path} was written all the same, with {exported} private key(s), and the request log records the export.";
            }
            else
            {
                var restored = await RestoreAsync(host.Services, backup, path, secret, inBackup);
                answer = restored;
                done = $"The restore was done all the same and is in the request log: {restored.Restored} keypair(s) restored, {restored.AlreadyPresent} already present, "
                    + $"{restored.Conflicts.Count} not restored (another key under the same id), {restored.Destroyed.Count} left destroyed.";
            }

            CommandHost.PrintAnswer(JsonSerializer.Serialize(answer, CommandHost.Json), done);
            var destroyed = answer is RestoreSummary { Destroyed.Count: > 0 } withDestroyed
                ? $"{withDestroyed.Destroyed.Count} keypair(s) in the backup were destroyed in this database and stay destroyed (listed in \"destroyed\")."
                : null;
            if (answer is RestoreSummary { Conflicts.Count: > 0 } summary)
            {
                // One line on failure (API.md 5): the destroyed ones are said in it too.
                return CommandLine.Fail($"{summary.Conflicts.Count} keypair(s) in the backup were not restored: this database holds a different key under the same id (listed in \"conflicts\"); nothing was overwritten.{(destroyed is null ? string.Empty : " " + destroyed)}", 1);
            }

            if (destroyed is not null)
            {
                Console.Error.WriteLine($"lkm: {destroyed}");
            }

            return 0;
        }
        catch (BackupException e)
        {
            return CommandLine.Fail(e.Message, 1);
        }
        catch (Exception e) when (export && e is IOException or UnauthorizedAccessException)
        {
            // A full disk, a missing folder, no permission: nothing is left at the name (an existing
            // file is a BackupException above, which says so).
            return CommandLine.Fail($"Cannot write {path}: {e.Message} No backup was written.", 1);
        }
    }

    /// <summary>
    /// Writes the backup and records it in the request log; a backup the log cannot record is
    /// deleted again: every private key leaving the installation is on record, or does not leave.
    /// </summary>
    private static async Task<int> ExportAsync(IServiceProvider services, KeyBackup backup, string path, BackupSecret secret)
    {
        var exported = await backup.ExportAsync(path, secret, CancellationToken.None);
        try
        {
            await CommandAudit.RecordAsync(
                services, "keys export-backup",
                $"Exported {exported} private key(s) to the backup file {Path.GetFullPath(path)}, under {(secret.RecipientPem is null ? "a passphrase" : "a recipient public key")}.");
        }
        catch (Exception e)
        {
            try
            {
                File.Delete(path);
                e.Data[CommandLine.WhatNowKey] = $"The request log could not record the export, so {path} was deleted again: no backup was made.";
            }
            catch (Exception deleting) when (deleting is IOException or UnauthorizedAccessException)
            {
                e.Data[CommandLine.WhatNowKey] = $"The request log could not record the export, and {path} could not be deleted again ({deleting.Message}): delete it, it holds every private key.";
            }

            throw;
        }

        return exported;
    }

    /// <summary>
    /// Restores and records what was restored. Each keypair commits on its own, so the restore is
    /// recorded before it begins too: a restore stopped half-way (the process killed) still leaves
    /// an entry naming the backup its keys came from, and one that cannot be recorded restores nothing.
    /// </summary>
    private static async Task<RestoreSummary> RestoreAsync(IServiceProvider services, KeyBackup backup, string path, BackupSecret secret, int inBackup)
    {
        await CommandAudit.RecordAsync(
            services, "keys restore-backup",
            $"Restoring the {inBackup} keypair(s) in the backup file {Path.GetFullPath(path)}; the entry after this one says what was restored (none: the restore stopped before its end).");
        var (restored, skipped, conflicts, destroyed) = await backup.RestoreAsync(path, secret, CancellationToken.None);
        await CommandAudit.RecordAsync(
            services, "keys restore-backup",
            $"Restored {restored} keypair(s) from the backup file {Path.GetFullPath(path)}: {skipped} already present, {conflicts.Count} under an id holding another key (not restored), {destroyed.Count} destroyed here (left destroyed).");
        return new RestoreSummary(restored, skipped, conflicts, destroyed);
    }

    /// <summary>
    /// Exactly one secret (two or none is a usage error; a secret that is missing or too weak is
    /// a failure, exit code 1, with no usage text). A new backup holds every private key, so its passphrase has at least
    /// <see cref="BackupSecret.MinPassphraseLength"/> characters and its recipient key at least
    /// <see cref="BackupSecret.MinRecipientBits"/> bits; opening an existing backup takes what made it.
    /// </summary>
    private static async Task<BackupSecret> SecretAsync(Dictionary<string, string> options, bool export)
    {
        var pemOption = export ? "recipient" : "private-key";
        string[] sources = ["passphrase-env", "passphrase-file", pemOption];
        if (sources.Count(options.ContainsKey) > 1)
        {
            throw new UsageException($"Give only one of --passphrase-env, --passphrase-file and --{pemOption}.");
        }

        string? passphrase = null;
        if (options.TryGetValue("passphrase-env", out var variable))
        {
            passphrase = Environment.GetEnvironmentVariable(variable);
            if (string.IsNullOrEmpty(passphrase))
            {
                throw new InvalidOperationException($"The environment variable {variable} is empty or not set: it must hold the passphrase.");
            }
        }
        else if (options.TryGetValue("passphrase-file", out var file))
        {
            passphrase = (await CommandHost.ReadSmallTextFileAsync(file, "a passphrase file")).TrimEnd('\r', '\n');
            if (passphrase.Length == 0)
            {
                throw new InvalidOperationException($"{file} is empty: it must hold the passphrase.");
            }
        }
        else if (options.TryGetValue(pemOption, out var pem))
        {
            return BackupSecret.FromRecipient(await CommandHost.ReadSmallTextFileAsync(pem, "a PEM key file"), pem, export ? BackupSecret.MinRecipientBits : 0, privateKey: !export);
        }
        else
        {
            throw new UsageException($"Give --passphrase-env VAR, --passphrase-file FILE or --{pemOption} FILE.pem.");
        }

        if (export && passphrase.Length < BackupSecret.MinPassphraseLength)
        {
            throw new InvalidOperationException($"The passphrase has {passphrase.Length} characters; a backup of private keys needs at least {BackupSecret.MinPassphraseLength} (for example from 'openssl rand -base64 24').");
        }

        return BackupSecret.FromPassphrase(passphrase);
    }

    private sealed record RestoreSummary(int Restored, int AlreadyPresent, List<string> Conflicts, List<string> Destroyed);
}
