using LocalKeyManager.Infrastructure.Hawk;

namespace LocalKeyManager.Api.Authentication;

/// <summary>The outcome of Hawk authentication for one request: the success (to sign the response) or the failure (to answer it).</summary>
public sealed class HawkContextFeature
{
    public HawkAuthentication? Authentication { get; init; }

    public HawkFailure? Failure { get; init; }

    /// <summary>When authentication began (<see cref="System.Diagnostics.Stopwatch"/> ticks): the request's answer is due within a budget counted from here.</summary>
    public long StartedAt { get; init; }
}
