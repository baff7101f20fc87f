using System.Collections;
using System.Reflection;
using LocalKeyManager.Infrastructure.Crypto;
using LocalKeyManager.Infrastructure.Crypto.KeyProtection;
using LocalKeyManager.Infrastructure.Hawk;
using LocalKeyManager.Infrastructure.Persistence;

namespace LocalKeyManager.Api.Settings;

/// <summary>
/// The settings of the service's own sections, so that a misspelt one stops start-up naming
/// itself: configuration has no schema, and <c>Hawk:PublicHots</c> or
/// <c>RateLimiting__PerCredentialPerSec</c> would otherwise be read as absent, the service running
/// on the default without a word. The options classes give their sections' keys; lists and
/// dictionaries (<c>KnownProxies:0</c>, <c>Keys:1</c>) take any child. Logging, Kestrel, the
/// host's settings and <c>Metrics</c> (the runtime reads <c>Metrics:EnabledMetrics</c> beside our
/// <c>Metrics:AllowedNetworks</c>) are the framework's and are not checked here.
/// </summary>
public static class KnownSettings
{
    private static readonly Dictionary<string, Node> Sections = new(StringComparer.OrdinalIgnoreCase)
    {
        [DatabaseOptions.Section] = Node.Of(typeof(DatabaseOptions), "SqliteSynchronous"),
        [HawkOptions.Section] = Node.Of(typeof(HawkOptions)),
        [KeyProtectionOptions.Section] = Node.Of(typeof(KeyProtectionOptions)),
        [KeyCacheOptions.Section] = Node.Of(typeof(KeyCacheOptions)),
        [Jobs.RequestLogOptions.Section] = Node.Of(typeof(Jobs.RequestLogOptions)),
        ["RateLimiting"] = Node.Keys("PerCredentialPerSecond", "PerAddressPerSecond"),
        ["ForwardedHeaders"] = Node.Keys("KnownProxies", "KnownNetworks"),
        ["OpenTelemetry"] = Node.Keys("OtlpEndpoint"),
    };

    public static void Check(IConfiguration configuration)
    {
        foreach (var (name, node) in Sections)
        {
            node.Check(configuration.GetSection(name));
        }
    }

    /// <summary>A section's keys; a key whose children are not checked maps to null.</summary>
    private sealed class Node(Dictionary<string, Node?> children)
    {
        public static Node Keys(params string[] keys) => new(keys.ToDictionary(k => k, _ => (Node?)null, StringComparer.OrdinalIgnoreCase));

        public static Node Of(Type options, params string[] extra)
        {
            var keys = options.GetProperties(BindingFlags.Public | BindingFlags.Instance)
                .Where(p => p.CanWrite)
                .ToDictionary(p => p.Name, p => IsComposite(p.PropertyType) ? Of(p.PropertyType) : null, StringComparer.OrdinalIgnoreCase);
            foreach (var key in extra)
            {
                keys[key] = null;
            }

            return new Node(keys);
        }

        public void Check(IConfigurationSection section)
        {
            foreach (var child in section.GetChildren())
            {
                if (!children.TryGetValue(child.Key, out var node))
                {
                    throw new InvalidOperationException($"{child.Path} is not a setting of this service; {section.Path} takes {string.Join(", ", children.Keys.Order(StringComparer.Ordinal))}.");
                }

                node?.Check(child);
            }
        }

        /// <summary>An options class of its own (checked key by key), not a value, list or dictionary.</summary>
        private static bool IsComposite(Type type) =>
            type.IsClass && type != typeof(string) && !typeof(IEnumerable).IsAssignableFrom(type);
    }
}
