using FluentValidation;
using LocalKeyManager.Domain.Keys;

namespace LocalKeyManager.Application.Keys.Decrypt;

public sealed class DecryptValidator : AbstractValidator<Decrypt>
{
    /// <summary>Base64 of a 16384-bit ciphertext, the largest RSA key anyone imports, with room to spare.</summary>
    public const int MaxBodyLength = 4096;

    // A body that is there but not base64, or too long, is not refused here: it is a ciphertext
    // that does not decrypt, and gets the one uniform answer (DecryptHandler), like any other.

    public DecryptValidator()
    {
        RuleLevelCascadeMode = CascadeMode.Stop;
        RuleFor(c => c.KeypairId)
            .NotEmpty().WithMessage("keypairId is required.")
            .Must(id => KeypairId.TryParse(id, out _)).WithMessage("keypairId must be a UUID.");
        RuleFor(c => c.Body)
            .NotEmpty().WithMessage("body is required: the base64 RSA ciphertext.");
        RuleFor(c => c.DecryptType)
            .Must(DecryptTypes.IsValid).WithMessage("decryptType must be absent, empty or \"pkcs1\".");
    }

    /// <summary>The ciphertext, or null when the body is not standard base64 of 1 to 3072 bytes.</summary>
    public static byte[]? Ciphertext(string? text)
    {
        if (string.IsNullOrEmpty(text) || text.Length > MaxBodyLength)
        {
            return null;
        }

        Span<byte> buffer = stackalloc byte[MaxBodyLength];
        return Convert.TryFromBase64String(text, buffer, out var written) && written > 0 ? buffer[..written].ToArray() : null;
    }
}
