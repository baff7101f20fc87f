using FluentValidation;
using LocalKeyManager.Domain.Keys;

namespace LocalKeyManager.Application.Keys.Decrypt;

public sealed class DecryptValidator : AbstractValidator<Decrypt>
{
    /// <summary>Base64 of a 16384-bit ciphertext, the largest RSA key anyone imports, with room to spare.</summary>
    public const int MaxBodyLength = 4096;

    public DecryptValidator()
    {
        RuleLevelCascadeMode = CascadeMode.Stop;
        RuleFor(c => c.KeypairId)
            .NotEmpty().WithMessage("keypairId is required.")
            .Must(id => KeypairId.TryParse(id, out _)).WithMessage("keypairId must be a UUID.");
        RuleFor(c => c.Body)
            .NotEmpty().WithMessage("body is required: the base64 RSA ciphertext.")
            .MaximumLength(MaxBodyLength).WithMessage($"body is longer than {MaxBodyLength} characters.")
            .Must(IsBase64).WithMessage("body must be standard base64.");
        RuleFor(c => c.DecryptType)
            .Must(DecryptTypes.IsValid).WithMessage("decryptType must be absent, empty or \"pkcs1\".");
    }

    private static bool IsBase64(string? text)
    {
        if (string.IsNullOrEmpty(text) || text.Length > MaxBodyLength)
        {
            return false;
        }

        Span<byte> buffer = stackalloc byte[MaxBodyLength];
        return Convert.TryFromBase64String(text, buffer, out var written) && written > 0;
    }
}
