namespace LocalKeyManager.Api.Contracts;

/// <summary>The one answer that shows a credential's key.</summary>
public sealed record RegisteredCredentialResponse(string Id, string AuthKey, string Algorithm);
