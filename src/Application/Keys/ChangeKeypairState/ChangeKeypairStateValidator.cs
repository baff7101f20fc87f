using FluentValidation;
using LocalKeyManager.Domain.Keys;

namespace LocalKeyManager.Application.Keys.ChangeKeypairState;

public sealed class ChangeKeypairStateValidator : AbstractValidator<ChangeKeypairState>
{
    public ChangeKeypairStateValidator()
    {
        RuleFor(c => c.WaitingPeriodDays)
            .InclusiveBetween(Keypair.MinWaitingDays, Keypair.MaxWaitingDays)
            .When(c => c.WaitingPeriodDays is not null)
            .WithMessage($"waitingPeriodDays must be from {Keypair.MinWaitingDays} to {Keypair.MaxWaitingDays} (default {Keypair.DefaultWaitingDays}).");
    }
}
