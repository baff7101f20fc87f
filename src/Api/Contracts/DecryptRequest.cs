namespace LocalKeyManager.Api.Contracts;

/// <summary>The original's <c>EncryptBody</c>: the keypair, the base64 ciphertext, and optionally the padding.</summary>
public sealed record DecryptRequest(string? KeypairId, string? Body, string? DecryptType);
