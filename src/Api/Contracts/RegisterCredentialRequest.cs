namespace LocalKeyManager.Api.Contracts;

/// <summary><c>POST /auth</c>: the new credential's id, and its role (<c>genesys</c> unless <c>admin</c>).</summary>
public sealed record RegisterCredentialRequest(string? Id, string? Role);
