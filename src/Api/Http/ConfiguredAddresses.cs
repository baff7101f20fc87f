using System.Net;

namespace LocalKeyManager.Api.Http;

/// <summary>
/// A configured list of IP addresses or networks, in either form operators write: indexed
/// (<c>ForwardedHeaders:KnownProxies:0</c>, <c>ForwardedHeaders__KnownProxies__0</c> in the
/// environment) or one value separated by commas or spaces
/// (<c>ForwardedHeaders__KnownProxies=10.0.0.5,10.0.0.6</c>), which the configuration binder
/// would drop without a word. An entry that is not an address stops start-up with a message naming
/// the setting and the entry.
/// </summary>
public static class ConfiguredAddresses
{
    private static readonly char[] Separators = [',', ';', ' ', '\t'];

    public static IPAddress[] Addresses(IConfiguration configuration, string key) =>
        Entries(configuration, key).Select(entry => IPAddress.TryParse(entry, out var address) && !entry.Contains('/')
            ? address
            : throw new InvalidOperationException($"{key}: '{entry}' is not an IP address (a network goes in the matching Networks setting).")).ToArray();

    /// <summary>The configured networks, or <paramref name="defaults"/> when none is configured.</summary>
    public static IPNetwork[] Networks(IConfiguration configuration, string key, params string[] defaults)
    {
        var entries = Entries(configuration, key);
        return (entries.Length > 0 ? entries : defaults).Select(entry => IPNetwork.TryParse(entry, out var network)
            ? network
            : throw new InvalidOperationException($"{key}: '{entry}' is not a network in CIDR form (for example 10.0.0.0/8).")).ToArray();
    }

    private static string[] Entries(IConfiguration configuration, string key)
    {
        var section = configuration.GetSection(key);
        return section.GetChildren().Select(child => child.Value).Prepend(section.Value)
            .SelectMany(value => (value ?? string.Empty).Split(Separators, StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries))
            .ToArray();
    }
}
