using System.Net;

namespace LocalKeyManager.Api.Http;

/// <summary>
/// <c>/metrics</c> answers only callers in <c>Metrics:AllowedNetworks</c> (default: loopback).
/// Its counters name authentication failure reasons (unknown id, revoked, bad MAC), which must not
/// be readable by the callers they describe; others get a 404 problem. Admins read the same text
/// over Hawk at <c>/key-management/v1/metrics</c>.
/// </summary>
public sealed class MetricsAccess(IConfiguration configuration)
{
    private readonly System.Net.IPNetwork[] _allowed = ConfiguredAddresses.Networks(configuration, "Metrics:AllowedNetworks", "127.0.0.0/8", "::1/128");

    public bool Allows(IPAddress? address)
    {
        // No address: an in-process caller (the test host), never a network one.
        if (address is null)
        {
            return true;
        }

        var candidate = address.IsIPv4MappedToIPv6 ? address.MapToIPv4() : address;
        return _allowed.Any(network => network.Contains(candidate));
    }
}
