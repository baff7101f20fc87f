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
        Entries(configuration, key).Select(entry => IPAddress.TryParse(entry, out var address) && !entry.Contains('/') && IsWrittenOut(address, entry)
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

    /// <summary>
    /// An IPv4 address in four dotted decimal parts, as it is read back: the parser also takes
    /// <c>10.5</c> (10.0.0.5) and <c>167772165</c>, where a missing part would trust another proxy.
    /// </summary>
    private static bool IsWrittenOut(IPAddress address, string entry) =>
        address.AddressFamily != System.Net.Sockets.AddressFamily.InterNetwork || address.ToString() == entry;

    private static string[] Entries(IConfiguration configuration, string key)
    {
        var section = configuration.GetSection(key);
        return section.GetChildren().Select(child => child.Value).Prepend(section.Value)
            .SelectMany(value => (value ?? string.Empty).Split(Separators, StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries))
            .ToArray();
    }
}
