using FluentValidation;
using LocalKeyManager.Domain.Credentials;

namespace LocalKeyManager.Application.Credentials.RegisterHawkCredential;

public sealed class RegisterHawkCredentialValidator : AbstractValidator<RegisterHawkCredential>
{
    public RegisterHawkCredentialValidator()
    {
        RuleLevelCascadeMode = CascadeMode.Stop;
        RuleFor(c => c.Id)
            .NotEmpty().WithMessage("id is required.")
            .Must(CredentialId.IsValid)
            .WithMessage($"id must be {CredentialId.MinLength} to {CredentialId.MaxLength} characters of A-Z, a-z, 0-9, '.', '_' and '-'.");
        RuleFor(c => c.Role)
            .Must(CredentialRoles.Names.IsValid).WithMessage("role must be \"genesys\" or \"admin\".");
        RuleFor(c => c.Algorithm)
            .Must(HawkAlgorithms.Names.IsValid).WithMessage("algorithm must be \"sha256\" or \"sha1\".");
    }
}
