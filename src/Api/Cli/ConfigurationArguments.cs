using LocalKeyManager.Infrastructure.Crypto;
using LocalKeyManager.Infrastructure.Crypto.KeyProtection;
using LocalKeyManager.Infrastructure.Hawk;
using LocalKeyManager.Infrastructure.Persistence;

namespace LocalKeyManager.Api.Cli;

/// <summary>
/// What the command line passes on as configuration: settings inside the sections the service
/// reads (<c>--Database:Provider=Postgres</c>, <c>--Hawk:PublicPort 443</c>,
/// <c>/Section:Key=value</c>, <c>Section:Key=value</c>) and the host's own top-level settings
/// (<c>--urls</c>, <c>--environment</c>, ...). Anything else is a usage error: <c>--rol admin</c> for
/// <c>--role admin</c>, <c>--Databse:Provider=Postgres</c>, <c>--ConnectionStrings=...</c> without
/// <c>:KeyManager</c>, a stray word. The configuration reader would take each as a setting nobody
/// reads, and the command would run without it, on the embedded default database.
/// </summary>
public static class ConfigurationArguments
{
    /// <summary>ASP.NET Core's and the generic host's top-level settings.</summary>
    private static readonly HashSet<string> HostSettings = new(StringComparer.OrdinalIgnoreCase)
    {
        "urls", "environment", "contentRoot", "applicationName", "AllowedHosts", "http_ports", "https_ports", "https_port",
        "shutdownTimeoutSeconds", "detailedErrors", "webroot", "hostingStartupAssemblies", "hostingStartupExcludeAssemblies",
        "preventHostingStartup", "suppressStatusMessages", "captureStartupErrors",
    };

    /// <summary>The sections a setting may belong to: the service's own, logging's and Kestrel's.</summary>
    private static readonly HashSet<string> Sections = new(StringComparer.OrdinalIgnoreCase)
    {
        ConnectionStrings, DatabaseOptions.Section, HawkOptions.Section, KeyProtectionOptions.Section, KeyCacheOptions.Section,
        "ForwardedHeaders", "Metrics", "OpenTelemetry", "RateLimiting", "RequestLog", "Logging", "Kestrel",
    };

    private const string ConnectionStrings = "ConnectionStrings";

    /// <summary>The one connection string the service reads.</summary>
    private const string ConnectionString = ConnectionStrings + ":" + DatabaseOptions.ConnectionStringName;

    public static void Check(IReadOnlyList<string> args)
    {
        for (var i = 0; i < args.Count; i++)
        {
            var arg = args[i];
            var prefixed = arg.StartsWith("--", StringComparison.Ordinal) ? 2 : arg.StartsWith('/') ? 1 : 0;
            if (prefixed == 0 && arg.StartsWith('-'))
            {
                throw new UsageException($"Unknown option '{arg}'.");
            }

            var equals = arg.IndexOf('=', prefixed);
            if (prefixed == 0 && equals < 0)
            {
                throw new UsageException($"Unexpected argument '{arg}'.");
            }

            var key = equals < 0 ? arg[prefixed..] : arg[prefixed..equals];
            var section = key.Split(':')[0];
            var known = key.Contains(':')
                ? Sections.Contains(section) && !key.EndsWith(':')
                    && (!section.Equals(ConnectionStrings, StringComparison.OrdinalIgnoreCase) || key.Equals(ConnectionString, StringComparison.OrdinalIgnoreCase))
                : HostSettings.Contains(key);
            if (!known)
            {
                throw new UsageException($"Unknown option '{(equals < 0 ? arg : arg[..equals])}'.");
            }

            if (equals < 0 && ++i >= args.Count)
            {
                throw new UsageException($"'{arg}' needs a value.");
            }
        }
    }
}
