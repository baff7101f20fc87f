using LocalKeyManager.Infrastructure;

namespace LocalKeyManager.Api.Cli;

/// <summary>
/// The services without the web server, for one command. Logs go to stderr so that stdout
/// carries only the command's answer (scripts parse it).
/// </summary>
public static class CommandHost
{
    public static async Task<IHost> StartAsync(string[] configurationArgs, bool initialize = true)
    {
        var builder = Host.CreateApplicationBuilder(new HostApplicationBuilderSettings
        {
            Args = configurationArgs,
            ContentRootPath = AppContext.BaseDirectory,
        });
        builder.Logging.ClearProviders();
        builder.Logging.AddFilter(static level => level >= LogLevel.Warning);
        builder.Logging.AddSimpleConsole(o => o.SingleLine = true);
        builder.Logging.AddConsole(o => o.LogToStandardErrorThreshold = LogLevel.Trace);
        builder.Services.AddKeyManagerCore(builder.Configuration);
        var host = builder.Build();
        if (initialize)
        {
            await host.Services.GetRequiredService<StartupInitializer>().InitializeAsync(CancellationToken.None);
        }

        return host;
    }

    /// <summary>Reads <c>--name value</c> (or <c>--name=value</c>) options; the rest is configuration.</summary>
    public static (Dictionary<string, string> Options, string[] Remaining) Split(string[] args, params string[] names)
    {
        var options = new Dictionary<string, string>(StringComparer.Ordinal);
        var rest = new List<string>();
        for (var i = 0; i < args.Length; i++)
        {
            var arg = args[i];
            var name = names.FirstOrDefault(n => arg == "--" + n || arg.StartsWith("--" + n + "=", StringComparison.Ordinal));
            if (name is null)
            {
                rest.Add(arg);
                continue;
            }

            if (arg.Length > name.Length + 2)
            {
                options[name] = arg[(name.Length + 3)..];
            }
            else if (i + 1 < args.Length)
            {
                options[name] = args[++i];
            }
            else
            {
                throw new UsageException($"--{name} needs a value.");
            }
        }

        return (options, rest.ToArray());
    }
}
