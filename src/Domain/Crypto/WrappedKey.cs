namespace LocalKeyManager.Domain.Crypto;

/// <summary>
/// Secret material encrypted under a key-encryption key. <paramref name="KekId"/> names the
/// master key (provider and version) that wrapped it, so keys can be rotated and every blob
/// re-wrapped later; <paramref name="Blob"/> is opaque to everything but that provider.
/// </summary>
public sealed record WrappedKey(string KekId, byte[] Blob);
