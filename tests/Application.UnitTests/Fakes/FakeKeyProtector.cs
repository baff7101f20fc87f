using System.Text;
using LocalKeyManager.Domain.Crypto;

namespace LocalKeyManager.Application.UnitTests.Fakes;

/// <summary>Not encryption: prefixes the context, so tests can see what was wrapped and under what context.</summary>
internal sealed class FakeKeyProtector : IKeyProtector
{
    public string ActiveKekId => "fake:v1";

    public WrappedKey Wrap(ReadOnlySpan<byte> plaintext, string context) =>
        new("fake:v1", [.. Encoding.UTF8.GetBytes(context + "|"), .. plaintext]);

    public int Unwrap(WrappedKey wrapped, string context, Span<byte> destination)
    {
        var prefix = Encoding.UTF8.GetBytes(context + "|");
        if (!wrapped.Blob.AsSpan().StartsWith(prefix))
        {
            throw new KeyUnwrapException("wrong context");
        }

        var plaintext = wrapped.Blob.AsSpan(prefix.Length);
        plaintext.CopyTo(destination);
        return plaintext.Length;
    }

    public int MaxPlaintextLength(WrappedKey wrapped) => wrapped.Blob.Length;
}
