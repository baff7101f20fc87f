using System.Text.Json;
using LocalKeyManager.Infrastructure.Crypto.KeyProtection;

namespace LocalKeyManager.Api.Cli;

/// <summary>
/// <c>master-key rotate [--batch N]</c>: with a key file, adds a new version and makes it active
/// (with configured keys, the operator does that), then re-wraps every stored key under the active
/// version, printing progress on stderr and a summary on stdout; safe to run beside the service
/// and to run again after a crash. <c>master-key status</c> shows what each version wraps;
/// <c>master-key retire --version N</c> removes an unused old version from the key file.
/// </summary>
public static class MasterKeyCommand
{
    public static async Task<int> RunAsync(string[] args)
    {
        var subcommand = args.Length > 0 ? args[0] : throw new UsageException("master-key needs a subcommand: rotate, status or retire.");
        var (options, rest) = subcommand switch
        {
            "rotate" => CommandHost.Split(args[1..], ["resume"], "batch"),
            "retire" => CommandHost.Split(args[1..], "version"),
            "status" => CommandHost.Split(args[1..]),
            _ => throw new UsageException($"Unknown master-key subcommand '{subcommand}'."),
        };
        var batch = (int)(CommandHost.WholeNumber(options, "batch", 1, int.MaxValue, "--batch must be a whole number above 0.") ?? 100);

        using var host = await CommandHost.StartAsync(rest);
        var rotation = host.Services.GetRequiredService<MasterKeyRotation>();
        var holder = host.Services.GetRequiredService<MasterKeyHolder>();
        object answer;
        switch (subcommand)
        {
            case "rotate":
                // --resume finishes an interrupted run without adding yet another version.
                if (holder.KeyFile is not null && !options.ContainsKey("resume"))
                {
                    Console.Error.WriteLine($"lkm: master key version {rotation.AddActiveVersion()} is now active in {holder.KeyFile}");
                }

                var (keypairs, credentials) = await rotation.RewrapAsync(batch, line => Console.Error.WriteLine($"lkm: {line}"), CancellationToken.None);
                answer = new { activeVersion = holder.Ring.ActiveVersion, rewrappedKeypairs = keypairs, rewrappedCredentials = credentials, usage = await rotation.UsageAsync(CancellationToken.None) };
                break;
            case "retire":
                const string VersionUsage = "--version N is required.";
                var version = (int)(CommandHost.WholeNumber(options, "version", 0, int.MaxValue, VersionUsage) ?? throw new UsageException(VersionUsage));
                await rotation.RetireAsync(version, CancellationToken.None);
                answer = new { retiredVersion = version, versions = holder.Ring.Versions.Order().ToList() };
                break;
            default:
                answer = new { activeVersion = holder.Ring.ActiveVersion, versions = holder.Ring.Versions.Order().ToList(), usage = await rotation.UsageAsync(CancellationToken.None) };
                break;
        }

        Console.WriteLine(JsonSerializer.Serialize(answer, CommandHost.Json));
        return 0;
    }
}
