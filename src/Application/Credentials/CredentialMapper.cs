using LocalKeyManager.Domain.Credentials;
using Riok.Mapperly.Abstractions;

namespace LocalKeyManager.Application.Credentials;

[Mapper]
internal static partial class CredentialMapper
{
    [MapperIgnoreSource(nameof(HawkCredential.Key))]
    [MapperIgnoreSource(nameof(HawkCredential.RevokedAt))]
    [MapProperty(nameof(HawkCredential.IsRevoked), nameof(CredentialDto.Revoked))]
    public static partial CredentialDto ToDto(this HawkCredential credential);
}
