using LocalKeyManager.Domain.Crypto;
using LocalKeyManager.Domain.Keys;
using Mediator;
using NodaTime;

namespace LocalKeyManager.Application.Keys.GenerateKeypair;

/// <summary>Creates a fresh RSA-3072 keypair for Genesys Cloud to encrypt recording keys to.</summary>
/// <param name="Id">
/// The new keypair's id, chosen by the caller so that it can be recorded before the keypair is
/// stored (a request answered 503 names the keypair it may still have created); a fresh one if null.
/// </param>
public sealed record GenerateKeypair(KeypairId? Id = null) : ICommand<KeypairDto>;

public sealed class GenerateKeypairHandler(IRsaEngine rsa, IKeypairRepository keypairs, IClock clock)
    : ICommandHandler<GenerateKeypair, KeypairDto>
{
    public async ValueTask<KeypairDto> Handle(GenerateKeypair command, CancellationToken cancellationToken)
    {
        var id = command.Id ?? KeypairId.New();
        var generated = await rsa.GenerateAsync(id, cancellationToken);
        var keypair = Keypair.Create(id, generated.PublicKey, generated.PrivateKey, clock.GetCurrentInstant());
        if (!await keypairs.TryAddAsync(keypair, cancellationToken))
        {
            throw new InvalidOperationException("A freshly generated keypair id already exists.");
        }

        return keypair.ToDto();
    }
}
