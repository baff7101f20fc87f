namespace LocalKeyManager.Api.Contracts;

/// <summary>A credential without its key.</summary>
public sealed record CredentialResponse(string Id, string Algorithm, string Role, long DateCreated, bool Revoked);
