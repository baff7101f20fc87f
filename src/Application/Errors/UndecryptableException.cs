namespace LocalKeyManager.Application.Errors;

/// <summary>
/// The one answer for every ciphertext that does not decrypt (wrong length, wrong padding,
/// wrong key): the text never varies, so it cannot serve as a padding oracle.
/// </summary>
public sealed class UndecryptableException()
    : ApplicationErrorException("Decryption failed", Text)
{
    public const string Text = "The ciphertext could not be decrypted with this keypair.";
}
