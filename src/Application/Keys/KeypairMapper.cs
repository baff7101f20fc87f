using LocalKeyManager.Domain.Keys;
using Riok.Mapperly.Abstractions;

namespace LocalKeyManager.Application.Keys;

[Mapper]
internal static partial class KeypairMapper
{
    [MapperIgnoreSource(nameof(Keypair.PrivateKey))]
    public static partial KeypairDto ToDto(this Keypair keypair);

    public static partial KeypairDto ToDto(this PublicKeypair keypair);
}
