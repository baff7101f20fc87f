using System.Text.Json;
using LocalKeyManager.Infrastructure.Crypto.KeyProtection;
using Microsoft.Extensions.Options;

namespace LocalKeyManager.Api.Cli;

/// <summary>
/// <c>master-key rotate [--batch N]</c>: with a key file, adds a new version and makes it active
/// (with configured keys, the operator does that), then re-wraps every stored key under the active
/// version, printing progress on stderr when it is a terminal and a summary on stdout (a failure is
/// one line on stderr, API.md 5, saying how far it got); safe to run beside the service
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
            "rotate" => CommandHost.Split(args[1..], ["resume", "progress"], "batch"),
            "retire" => CommandHost.Split(args[1..], "version"),
            "status" => CommandHost.Split(args[1..]),
            _ => throw new UsageException($"Unknown master-key subcommand '{subcommand}'."),
        };
        var batch = (int)(CommandHost.WholeNumber(options, "batch", 1, int.MaxValue, "--batch must be a whole number above 0.") ?? 100);

        object answer;
        RotationResult? rotated = null;
        var progress = new RotationProgress(options.ContainsKey("progress") || !Console.IsErrorRedirected);
        using var host = await CommandHost.StartAsync(rest);
        var rotation = host.Services.GetRequiredService<MasterKeyRotation>();
        var protector = host.Services.GetRequiredService<LocalKeyManager.Domain.Crypto.IKeyProtector>();
        var activeKey = protector.ActiveKekId;
        if (host.Services.GetRequiredService<IOptions<KeyProtectionOptions>>().Value.IsPkcs11)
        {
            // The HSM's keys are the operator's to create and delete: rotate re-wraps everything
            // under KeyLabel (the earlier key listed in PreviousKeyLabels); status shows the usage.
            answer = subcommand switch
            {
                "rotate" => Summary(rotated = await RecordedAsync(host.Services, await RewrapAsync(rotation, batch, progress, "run 'master-key rotate' again once this is fixed to finish it."), activeKey), activeKey, null),
                "retire" => throw new MasterKeyException("With KeyProtection:Provider=Pkcs11 there is no key file to retire a version from: once 'master-key status' shows nothing under a label, remove it from KeyProtection:Pkcs11:PreviousKeyLabels on every instance and delete the key with the HSM's tools."),
                _ => new { activeKey, usage = await rotation.UsageAsync(CancellationToken.None) },
            };
            CommandHost.PrintAnswer(JsonSerializer.Serialize(answer, CommandHost.Json), Done(subcommand, null));
            return Incomplete(rotated);
        }

        var holder = host.Services.GetRequiredService<MasterKeyHolder>();
        int? retired = null;
        switch (subcommand)
        {
            case "rotate":
                // --resume finishes an interrupted run without adding yet another version.
                if (!options.ContainsKey("resume"))
                {
                    // A key file gets a new version; with keys from configuration, adding one is the operator's to do there.
                    if (holder.KeyFile is { } keyFile)
                    {
                        var added = rotation.AddActiveVersion();
                        CommandLog.Note($"master key version {added} is now active in {keyFile}");
                        await ActivationRecordedAsync(host.Services, added, keyFile);
                    }
                    else
                    {
                        CommandLog.Note($"the master keys come from configuration, so no version was added: re-wrapping under the configured active version {holder.Ring.ActiveVersion} (add a new version and KeyProtection:Local:ActiveVersion there first to rotate)");
                    }
                }

                // Read again: the line above may have made a new version active.
                rotated = await RecordedAsync(
                    host.Services, await RewrapAsync(rotation, batch, progress, "run 'master-key rotate --resume' once this is fixed to finish it without adding another version."), protector.ActiveKekId);
                answer = Summary(rotated, protector.ActiveKekId, holder.Ring.ActiveVersion);
                break;
            case "retire":
                const string VersionUsage = "--version N is required.";
                var version = (int)(CommandHost.WholeNumber(options, "version", 0, int.MaxValue, VersionUsage) ?? throw new UsageException(VersionUsage));
                await rotation.RetireAsync(version, CancellationToken.None);
                retired = version;
                await CommandAudit.RecordAsync(host.Services, "master-key retire", $"Retired master key version {version}.");
                answer = new { retiredVersion = version, versions = holder.Ring.Versions.Order().ToList() };
                break;
            default:
                answer = new { activeVersion = holder.Ring.ActiveVersion, activeKey, versions = holder.Ring.Versions.Order().ToList(), usage = await rotation.UsageAsync(CancellationToken.None) };
                break;
        }

        CommandHost.PrintAnswer(JsonSerializer.Serialize(answer, CommandHost.Json), Done(subcommand, retired));
        return Incomplete(rotated);
    }

    /// <summary>What is done when the answer cannot be printed (<see cref="CommandHost.PrintAnswer"/>); null for status.</summary>
    private static string? Done(string subcommand, int? retired) => subcommand switch
    {
        "rotate" => "The rotation was done all the same and is in the request log: 'lkm master-key status' shows what each version wraps.",
        "retire" => $"Master key version {retired} was retired all the same and is in the request log.",
        _ => null,
    };

    /// <summary>
    /// A rotation's progress, one line per batch: written as it comes when <paramref name="live"/>
    /// (stderr is a terminal, an operator watching, or <c>--progress</c>), otherwise not at all, so
    /// that a script sees one line on failure (API.md 5). The last line is kept for that failure's
    /// line, which says how far the rotation got.
    /// </summary>
    private sealed class RotationProgress(bool live)
    {
        public string? Last { get; private set; }

        public void Report(string line)
        {
            Last = line;
            if (live)
            {
                Console.Error.WriteLine($"lkm: {line}");
            }
        }
    }

    /// <summary>
    /// Re-wraps everything; a failure half-way (the database gone, say) leaves the new key active
    /// with keys still under the old one, and its line says how to finish (<paramref name="finish"/>).
    /// </summary>
    private static async Task<RotationResult> RewrapAsync(MasterKeyRotation rotation, int batch, RotationProgress progress, string finish)
    {
        try
        {
            return await rotation.RewrapAllAsync(batch, progress.Report, CancellationToken.None);
        }
        catch (Exception e)
        {
            var sofar = progress.Last is { } last ? $" (its last progress: {last})" : string.Empty;
            e.Data[CommandLine.WhatNowKey] = $"The rotation stopped before every key was re-wrapped{sofar}: {finish}";
            throw;
        }
    }

    /// <summary>
    /// Records a new version made active, before any key is re-wrapped under it: a re-wrap that
    /// fails half-way still leaves the activation on record. A version in use cannot be taken back
    /// (an instance may already wrap under it), so an entry that cannot be written stops the command
    /// before the re-wrap, saying so.
    /// </summary>
    private static async Task ActivationRecordedAsync(IServiceProvider services, int version, string keyFile)
    {
        try
        {
            await CommandAudit.RecordAsync(services, "master-key rotate", $"Made master key version {version} active in the key file {keyFile}; the stored keys are re-wrapped under it next.");
        }
        catch (Exception e)
        {
            e.Data[CommandLine.WhatNowKey] = $"Master key version {version} is active, but the request log does not record it, and no key was re-wrapped: run 'master-key rotate --resume' once this is fixed to finish the rotation without adding another version (its entry records the re-wrap, not this activation).";
            throw;
        }
    }

    /// <summary>Records what a rotation re-wrapped, complete or not.</summary>
    private static async Task<RotationResult> RecordedAsync(IServiceProvider services, RotationResult result, string activeKey)
    {
        await CommandAudit.RecordAsync(
            services, "master-key rotate",
            $"Re-wrapped {result.Keypairs} keypair(s) and {result.Credentials} credential(s) under master key {activeKey}{(result.Remaining.Count > 0 ? $"; {MasterKeyRotation.Describe(result.Remaining)} remain under another" : string.Empty)}.");
        return result;
    }

    /// <summary>The summary on stdout: its usage is as read after the last pass, so it shows what is left too.</summary>
    private static object Summary(RotationResult result, string activeKey, int? activeVersion) =>
        activeVersion is { } version
            ? new { activeVersion = version, activeKey, rewrappedKeypairs = result.Keypairs, rewrappedCredentials = result.Credentials, usage = result.Usage }
            : new { activeKey, rewrappedKeypairs = result.Keypairs, rewrappedCredentials = result.Credentials, usage = result.Usage };

    /// <summary>Exit code 0 only when nothing is left under another version; otherwise one line saying what and what to do.</summary>
    private static int Incomplete(RotationResult? result) =>
        result is { Remaining.Count: > 0 } left
            ? CommandLine.Fail($"The rotation is not complete: after {left.Passes} passes, {MasterKeyRotation.Describe(left.Remaining)} remain (stored meanwhile by an instance that had not yet read the new version); run 'master-key rotate --resume' to re-wrap them.", 1)
            : 0;
}
