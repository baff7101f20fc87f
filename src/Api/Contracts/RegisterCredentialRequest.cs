namespace LocalKeyManager.Api.Contracts;

/// <summary>
/// <c>POST /auth</c>: the new credential's id, its role (<c>genesys</c> unless <c>admin</c>) and its
/// Hawk algorithm (<c>sha256</c> unless <c>sha1</c>).
/// </summary>
public sealed record RegisterCredentialRequest(string? Id, string? Role = null, string? Algorithm = null);
