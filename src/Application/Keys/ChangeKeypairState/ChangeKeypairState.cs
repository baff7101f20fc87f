using LocalKeyManager.Application.Errors;
using LocalKeyManager.Domain.Crypto;
using LocalKeyManager.Domain.Keys;
using Mediator;
using NodaTime;

namespace LocalKeyManager.Application.Keys.ChangeKeypairState;

public enum KeypairStateChange
{
    Disable,
    Enable,
    ScheduleDestruction,
    CancelDestruction,
}

/// <summary>
/// An administrator's lifecycle change. Every instance reads the state from the shared database
/// on each decrypt, so a disable takes effect everywhere at once.
/// </summary>
public sealed record ChangeKeypairState(string Id, KeypairStateChange Change, int? WaitingPeriodDays = null) : ICommand<KeypairDto>;

public sealed class ChangeKeypairStateHandler(IKeypairRepository keypairs, IRsaEngine rsa, IClock clock)
    : ICommandHandler<ChangeKeypairState, KeypairDto>
{
    public async ValueTask<KeypairDto> Handle(ChangeKeypairState command, CancellationToken cancellationToken)
    {
        var keypair = (KeypairId.TryParse(command.Id, out var id) ? await keypairs.FindAsync(id, cancellationToken) : null)
            ?? throw new NotFoundException("No keypair has this id.");
        var (fromState, fromDestroyAt) = (keypair.State, keypair.DestroyAt);
        try
        {
            switch (command.Change)
            {
                case KeypairStateChange.Disable:
                    keypair.Disable();
                    break;
                case KeypairStateChange.Enable:
                    keypair.Enable();
                    break;
                case KeypairStateChange.ScheduleDestruction:
                    keypair.ScheduleDestruction(clock.GetCurrentInstant(), command.WaitingPeriodDays ?? Keypair.DefaultWaitingDays);
                    break;
                case KeypairStateChange.CancelDestruction:
                    keypair.CancelDestruction();
                    break;
            }
        }
        catch (KeyStateException e)
        {
            throw new ConflictException(e.Message);
        }

        if (!await keypairs.TryUpdateLifecycleAsync(keypair, fromState, fromDestroyAt, cancellationToken))
        {
            throw new ConflictException($"Keypair {keypair.Id} changed while this request was handled (another change, or its destruction); nothing was changed. Read it and try again.");
        }

        if (keypair.State != KeyState.Enabled)
        {
            rsa.Forget(keypair.Id);
        }

        return keypair.ToDto();
    }
}
