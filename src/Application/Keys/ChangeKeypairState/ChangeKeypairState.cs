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
        if (Apply(keypair, command) && !await keypairs.TryUpdateLifecycleAsync(keypair, fromState, fromDestroyAt, cancellationToken))
        {
            // Changed since it was read. Already as asked (the same change by someone else): that
            // is the answer; otherwise a conflict that changes nothing rather than undoing the other.
            var now = await keypairs.FindAsync(id, cancellationToken);
            if (now is null || Apply(now, command))
            {
                throw new ConflictException($"Keypair {keypair.Id} changed while this request was handled (another change, or its destruction); nothing was changed. Read it and try again.");
            }

            keypair = now;
        }

        if (keypair.State != KeyState.Enabled)
        {
            rsa.Forget(keypair.Id);
        }

        return keypair.ToDto();
    }

    /// <summary>Makes the change in memory; false when the keypair is already as asked (a retry: nothing to write).</summary>
    private bool Apply(Keypair keypair, ChangeKeypairState command)
    {
        try
        {
            switch (command.Change)
            {
                case KeypairStateChange.Disable:
                    return keypair.Disable();
                case KeypairStateChange.Enable:
                    return keypair.Enable();
                case KeypairStateChange.ScheduleDestruction:
                    keypair.ScheduleDestruction(clock.GetCurrentInstant(), command.WaitingPeriodDays ?? Keypair.DefaultWaitingDays);
                    return true;
                case KeypairStateChange.CancelDestruction:
                    return keypair.CancelDestruction();
                default:
                    throw new ArgumentOutOfRangeException(nameof(command), command.Change, "Unknown lifecycle change.");
            }
        }
        catch (KeyStateException e)
        {
            throw new ConflictException(e.Message);
        }
    }
}
