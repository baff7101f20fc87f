namespace LocalKeyManager.Api.Cli;

/// <summary>
/// What the command line passes on as configuration: settings of a section
/// (<c>--Database:Provider=Postgres</c>, <c>--Hawk:PublicPort 443</c>, <c>/Section:Key=value</c>,
/// <c>Section:Key=value</c>), the host's own few top-level settings (<c>--urls</c>,
/// <c>--environment</c>, ...) and the names of the sections themselves (a test host passes
/// <c>--ConnectionStrings=</c>). Anything else, such as <c>--rol admin</c> for <c>--role admin</c> or a
/// stray word, is a usage error: the configuration reader would accept it as a setting nobody reads
/// and the command would run without it.
/// </summary>
public static class ConfigurationArguments
{
    private static readonly HashSet<string> TopLevelKeys = new(StringComparer.OrdinalIgnoreCase)
    {
        "urls", "environment", "contentRoot", "applicationName", "AllowedHosts", "http_ports", "https_ports",
        "shutdownTimeoutSeconds", "detailedErrors", "Logging", "Kestrel", "ConnectionStrings", "Database", "Hawk",
        "KeyProtection", "KeyCache", "ForwardedHeaders", "Metrics", "OpenTelemetry", "RateLimiting", "RequestLog",
    };

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
            if (key.Length == 0 || (!key.Contains(':') && !TopLevelKeys.Contains(key)))
            {
                throw new UsageException($"Unknown option '{(prefixed == 0 ? key : arg[..(equals < 0 ? arg.Length : equals)])}'.");
            }

            if (equals < 0 && ++i >= args.Count)
            {
                throw new UsageException($"'{arg}' needs a value.");
            }
        }
    }
}
