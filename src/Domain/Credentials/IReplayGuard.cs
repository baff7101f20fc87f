using NodaTime;

namespace LocalKeyManager.Domain.Credentials;

/// <summary>
/// Remembers the Hawk (credential id, nonce, ts) triples already used, in storage every
/// instance shares, so that a request is accepted exactly once across all of them.
/// </summary>
public interface IReplayGuard
{
    /// <summary>Records the triple; false when it was recorded before (a replay).</summary>
    Task<bool> TryRecordAsync(string credentialId, string nonce, long timestamp, Instant now, CancellationToken cancellationToken);

    /// <summary>Forgets triples whose timestamp is before <paramref name="cutoff"/>: a request with such a timestamp is refused as stale anyway.</summary>
    Task<int> ForgetBeforeAsync(Instant cutoff, CancellationToken cancellationToken);
}
