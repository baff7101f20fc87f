using FluentValidation;
using LocalKeyManager.Domain.Keys;
using NodaTime;

namespace LocalKeyManager.Application.Keys.ImportKeypair;

public sealed class ImportKeypairValidator : AbstractValidator<ImportKeypair>
{
    /// <summary>How far ahead of this machine's clock a <c>dateCreated</c> may be: another machine's clock skew, not a date to come.</summary>
    public static readonly Duration MaxAhead = Duration.FromMinutes(5);

    public ImportKeypairValidator(IClock clock)
    {
        RuleLevelCascadeMode = CascadeMode.Stop;
        RuleFor(c => c.PrivateKey)
            .NotEmpty().WithMessage("privateKey is required: base64 DER PKCS#1, or PEM PKCS#1/PKCS#8.")
            .MaximumLength(32 * 1024).WithMessage("privateKey is too long to be an RSA private key.");
        RuleFor(c => c.Id)
            .Must(id => KeypairId.TryParse(id, out _)).When(c => c.Id is not null).WithMessage("id must be a UUID.")
            .Must(id => KeypairId.TryParse(id, out var parsed) && parsed.IsRfc4122).When(c => c.Id is not null)
            .WithMessage("id must be an RFC 4122 UUID (its variant digit 8, 9, a or b; its version 1 to 8).");
        RuleFor(c => c.DateCreated)
            .Must(ms => ms >= 0 && ms <= (clock.GetCurrentInstant() + MaxAhead).ToUnixTimeMilliseconds()).When(c => c.DateCreated is not null)
            .WithMessage("dateCreated must be milliseconds since the Unix epoch, and not in the future.");
    }
}
