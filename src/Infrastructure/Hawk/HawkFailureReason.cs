namespace LocalKeyManager.Infrastructure.Hawk;

/// <summary>The causes of authentication failure, as metrics and logs count them.</summary>
public enum HawkFailureReason
{
    Missing,
    Malformed,
    UnknownId,
    Revoked,
    BadMac,
    BadPayloadHash,
    MissingPayloadHash,
    Stale,
    Replay,
    LockedOut,
}
