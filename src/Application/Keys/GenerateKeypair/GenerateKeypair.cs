using LocalKeyManager.Domain.Crypto;
using LocalKeyManager.Domain.Keys;
using Mediator;
using NodaTime;

namespace LocalKeyManager.Application.Keys.GenerateKeypair;

/// <summary>Creates a fresh RSA-3072 keypair for Genesys Cloud to encrypt recording keys to.</summary>
public sealed record GenerateKeypair : ICommand<KeypairDto>;

public sealed class GenerateKeypairHandler(IRsaEngine rsa, IKeypairRepository keypairs, IClock clock)
    : ICommandHandler<GenerateKeypair, KeypairDto>
{
    public async ValueTask<KeypairDto> Handle(GenerateKeypair command, CancellationToken cancellationToken)
    {
        var id = KeypairId.New();
        var generated = await rsa.GenerateAsync(id, cancellationToken);
        var keypair = Keypair.Create(id, generated.PublicKey, generated.PrivateKey, clock.GetCurrentInstant());
        if (!await keypairs.TryAddAsync(keypair, cancellationToken))
        {
            throw new InvalidOperationException("A freshly generated keypair id already exists.");
        }

        return keypair.ToDto();
    }
}
