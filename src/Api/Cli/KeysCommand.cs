using LocalKeyManager.Api.Contracts.Mapping;
using LocalKeyManager.Application.Keys.ImportKeypair;
using LocalKeyManager.Application.Keys.ListKeypairs;
using Mediator;

namespace LocalKeyManager.Api.Cli;

/// <summary>
/// <c>keys list</c> prints what <c>GET /keypair</c> answers; <c>keys import --file FILE [--id ID]
/// [--date-created MS]</c> imports a private key file (base64 DER PKCS#1 as the original
/// service stored it, or PEM) and prints the keypair JSON; the backup subcommands are in
/// <see cref="BackupCommand"/>.
/// </summary>
public static class KeysCommand
{
    public static async Task<int> RunAsync(string[] args)
    {
        var subcommand = args.Length > 0 ? args[0] : throw new UsageException("keys needs a subcommand: list, import, export-backup, verify-backup or restore-backup.");
        var (options, rest) = CommandHost.Split(args[1..], (string[])(subcommand switch
        {
            "list" => [],
            "import" => ["file", "id", "date-created"],
            "export-backup" => ["out", "passphrase-env", "passphrase-file", "recipient"],
            "verify-backup" or "restore-backup" => ["in", "passphrase-env", "passphrase-file", "private-key"],
            _ => throw new UsageException($"Unknown keys subcommand '{subcommand}': use list, import, export-backup, verify-backup or restore-backup."),
        }));
        if (subcommand is "export-backup" or "verify-backup" or "restore-backup")
        {
            return await BackupCommand.RunAsync(subcommand, options, rest);
        }

        var import = subcommand == "import" ? new ImportKeypair(await ReadKeyFileAsync(options), options.GetValueOrDefault("id"), DateCreated(options)) : null;
        if (import is not null && Infrastructure.Crypto.RsaEngine.ImportProblem(import.PrivateKey!, ImportKeypairHandler.MinimumBits) is { } problem)
        {
            // The same refusal the import would make, before an installation is set up for a key it
            // cannot take; it names the file the key came from, not the API's field.
            const string field = "privateKey ";
            return CommandLine.Fail(problem.StartsWith(field, StringComparison.Ordinal) ? $"{options["file"]} {problem[field.Length..]}" : problem, 1);
        }

        Func<ISender, Task<object>> run = subcommand switch
        {
            "list" => async sender => (await sender.Send(new ListKeypairs())).Select(k => k.ToResponse()).ToList(),
            "import" => async sender => (await sender.Send(import!)).Keypair.ToResponse(),
            _ => throw new System.Diagnostics.UnreachableException(),
        };

        return await CommandHost.PrintAsync<ImportKeypair, ImportedKeypair>(
            rest, run, import, recorded: answer => answer is Contracts.KeypairResponse imported
                ? new("keys import", $"Imported keypair {imported.Id} from a key file.", imported.Id)
                : null);
    }

    private static async Task<string> ReadKeyFileAsync(Dictionary<string, string> options)
    {
        var path = options.TryGetValue("file", out var file) ? file : throw new UsageException("--file is required.");
        if (!File.Exists(path))
        {
            // The words are right, the file is not there: exit 1 like any other refusal, not 2.
            throw new FileNotFoundException(Directory.Exists(path) ? $"{path} is a folder, not a key file." : $"{path} does not exist.");
        }

        // A binary DER file (openssl ... -outform DER) is taken as the base64 of its bytes, the form
        // the API takes; anything else is read as text (base64 or PEM).
        return await CommandHost.ReadSmallFileAsync(path, "a key file", static bytes =>
            bytes is [0x30, >= 0x80, ..] ? Convert.ToBase64String(bytes) : CommandHost.Text(bytes));
    }

    private static long? DateCreated(Dictionary<string, string> options) =>
        CommandHost.WholeNumber(options, "date-created", 0, long.MaxValue, "--date-created is milliseconds since the Unix epoch.");
}
