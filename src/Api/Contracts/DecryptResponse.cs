namespace LocalKeyManager.Api.Contracts;

/// <summary>The base64 plaintext.</summary>
public sealed record DecryptResponse(string Body);
