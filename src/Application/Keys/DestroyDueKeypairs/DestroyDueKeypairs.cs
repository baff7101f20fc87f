using LocalKeyManager.Domain.Crypto;
using LocalKeyManager.Domain.Keys;
using Mediator;
using NodaTime;

namespace LocalKeyManager.Application.Keys.DestroyDueKeypairs;

/// <summary>Erases the private material of keypairs whose destruction waiting period is over; returns how many.</summary>
public sealed record DestroyDueKeypairs : ICommand<int>;

public sealed class DestroyDueKeypairsHandler(IKeypairRepository keypairs, IRsaEngine rsa, IClock clock) : ICommandHandler<DestroyDueKeypairs, int>
{
    public async ValueTask<int> Handle(DestroyDueKeypairs command, CancellationToken cancellationToken)
    {
        var now = clock.GetCurrentInstant();
        var destroyed = 0;
        foreach (var keypair in await keypairs.ListDueForDestructionAsync(now, cancellationToken))
        {
            if (keypair.DestroyIfDue(now))
            {
                await keypairs.UpdateLifecycleAsync(keypair, cancellationToken);
                rsa.Forget(keypair.Id);
                destroyed++;
            }
        }

        return destroyed;
    }
}
