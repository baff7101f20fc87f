using LocalKeyManager.Domain.Credentials;
using NodaTime;

namespace LocalKeyManager.Application.Credentials;

/// <summary>A credential as operators see it: never its key.</summary>
public sealed record CredentialDto(string Id, HawkAlgorithm Algorithm, CredentialRole Role, Instant CreatedAt, bool Revoked);
