using NodaTime;

namespace LocalKeyManager.Domain.Credentials;

/// <summary>One use of a Hawk (credential id, nonce, ts) triple, seen at <paramref name="SeenAt"/>.</summary>
public sealed record NonceUse(string CredentialId, string Nonce, long Timestamp, Instant SeenAt);
