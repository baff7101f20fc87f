using FluentValidation;
using LocalKeyManager.Domain.Keys;

namespace LocalKeyManager.Application.Keys.ImportKeypair;

public sealed class ImportKeypairValidator : AbstractValidator<ImportKeypair>
{
    /// <summary>Milliseconds since the Unix epoch: 1970 up to the year 9999.</summary>
    private const long MaxDateCreated = 253_402_300_799_999;

    public ImportKeypairValidator()
    {
        RuleLevelCascadeMode = CascadeMode.Stop;
        RuleFor(c => c.PrivateKey)
            .NotEmpty().WithMessage("privateKey is required: base64 DER PKCS#1, or PEM PKCS#1/PKCS#8.")
            .MaximumLength(32 * 1024).WithMessage("privateKey is too long to be an RSA private key.");
        RuleFor(c => c.Id)
            .Must(id => KeypairId.TryParse(id, out _)).When(c => c.Id is not null).WithMessage("id must be a UUID.");
        RuleFor(c => c.DateCreated)
            .InclusiveBetween(0, MaxDateCreated).When(c => c.DateCreated is not null)
            .WithMessage("dateCreated must be milliseconds since the Unix epoch.");
    }
}
