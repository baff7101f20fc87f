using LocalKeyManager.Infrastructure.Persistence;

namespace LocalKeyManager.Api.Cli;

/// <summary>
/// <c>schema-script --provider sqlite|postgres|sqlserver [--out FILE]</c>: the idempotent SQL a
/// DBA applies instead of letting the service migrate itself. Needs no database.
/// </summary>
public static class SchemaScriptCommand
{
    public static async Task<int> RunAsync(string[] args)
    {
        var (options, _) = CommandHost.Split(args, "provider", "out");
        var provider = options.TryGetValue("provider", out var p) ? p.ToLowerInvariant() : throw new UsageException("--provider is required.");
        if (!MigrationScripts.Providers.Contains(provider))
        {
            throw new UsageException($"--provider must be one of {string.Join(", ", MigrationScripts.Providers)}.");
        }

        var script = MigrationScripts.Generate(provider);
        if (options.TryGetValue("out", out var path))
        {
            await File.WriteAllTextAsync(path, script);
        }
        else
        {
            CommandHost.PrintAnswer(script, done: null, newLine: false);
        }

        return 0;
    }
}
