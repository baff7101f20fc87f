namespace LocalKeyManager.Domain.Crypto;

/// <summary>
/// Wraps and unwraps secret material under a key-encryption key (a master key in a file or
/// configuration, or a key inside an HSM). The context is authenticated associated data:
/// a blob only unwraps under the context it was wrapped with.
/// </summary>
public interface IKeyProtector
{
    WrappedKey Wrap(ReadOnlySpan<byte> plaintext, string context);

    /// <summary>
    /// Unwraps into <paramref name="destination"/> (at least as long as the plaintext) and returns
    /// the plaintext's length. Throws <see cref="KeyUnwrapException"/> when the blob was tampered
    /// with, belongs to another context, or names a master key this provider does not hold.
    /// </summary>
    int Unwrap(WrappedKey wrapped, string context, Span<byte> destination);

    /// <summary>The longest plaintext a blob of this length can hold.</summary>
    int MaxPlaintextLength(WrappedKey wrapped);

    /// <summary>The KEK id <see cref="Wrap"/> writes now (what a rotation re-wraps everything under).</summary>
    string ActiveKekId { get; }
}
