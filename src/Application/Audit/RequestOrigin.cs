using NodaTime;

namespace LocalKeyManager.Application.Audit;

/// <summary>Who made a request, and when it started: what an audit record of it needs.</summary>
public sealed record RequestOrigin(
    string CredentialId,
    string UserId,
    string RequestMethod,
    string RequestUri,
    string? ClientAddress,
    Instant StartedAt);
