using System.Globalization;
using System.Security.Cryptography;
using System.Text;
using LocalKeyManager.Domain.Crypto;

namespace LocalKeyManager.Infrastructure.Crypto.KeyProtection;

/// <summary>
/// AES-256-GCM under a local master key. Blob: version byte 1, 12-byte nonce, ciphertext,
/// 16-byte tag; the context is the associated data, so a blob moved to another row fails.
/// The KEK id is <c>local:v{n}</c>, naming the master key version.
/// </summary>
public sealed class LocalKeyProtector(MasterKeyHolder keys) : IKeyProtector
{
    private const byte FormatVersion = 1;
    private const int NonceSize = 12;
    private const int TagSize = 16;
    private const int Overhead = 1 + NonceSize + TagSize;
    private const string KekPrefix = "local:v";

    public string ActiveKekId => KekPrefix + keys.Ring.ActiveVersion.ToString(CultureInfo.InvariantCulture);

    public WrappedKey Wrap(ReadOnlySpan<byte> plaintext, string context)
    {
        var ring = keys.Ring;
        var blob = new byte[Overhead + plaintext.Length];
        blob[0] = FormatVersion;
        var nonce = blob.AsSpan(1, NonceSize);
        RandomNumberGenerator.Fill(nonce);
        using (var aes = new AesGcm(ring.Active, TagSize))
        {
            aes.Encrypt(nonce, plaintext, blob.AsSpan(1 + NonceSize, plaintext.Length), blob.AsSpan(blob.Length - TagSize), Encoding.UTF8.GetBytes(context));
        }

        return new WrappedKey(KekPrefix + ring.ActiveVersion.ToString(CultureInfo.InvariantCulture), blob);
    }

    public int Unwrap(WrappedKey wrapped, string context, Span<byte> destination)
    {
        ArgumentNullException.ThrowIfNull(wrapped);
        var blob = wrapped.Blob;
        if (!wrapped.KekId.StartsWith(KekPrefix, StringComparison.Ordinal) ||
            !int.TryParse(wrapped.KekId.AsSpan(KekPrefix.Length), NumberStyles.None, CultureInfo.InvariantCulture, out var version))
        {
            throw new KeyUnwrapException($"The key was wrapped by '{wrapped.KekId}', not by a local master key.");
        }

        if (!keys.Ring.TryGet(version, out var key) && !(keys.TryLearn(version) && keys.Ring.TryGet(version, out key)))
        {
            throw new KeyUnwrapException($"Master key version {version} is not configured.");
        }

        if (blob.Length < Overhead || blob[0] != FormatVersion)
        {
            throw new KeyUnwrapException("The wrapped key is malformed.");
        }

        var length = blob.Length - Overhead;
        if (destination.Length < length)
        {
            throw new ArgumentException("The destination is too short for the plaintext.", nameof(destination));
        }

        try
        {
            using var aes = new AesGcm(key, TagSize);
            aes.Decrypt(blob.AsSpan(1, NonceSize), blob.AsSpan(1 + NonceSize, length), blob.AsSpan(blob.Length - TagSize), destination[..length], Encoding.UTF8.GetBytes(context));
            return length;
        }
        catch (AuthenticationTagMismatchException e)
        {
            destination[..length].Clear();
            throw new KeyUnwrapException("The wrapped key failed authentication: it was altered, belongs to another record, or the master key is wrong.", e);
        }
    }

    public int MaxPlaintextLength(WrappedKey wrapped) => Math.Max(0, wrapped.Blob.Length - Overhead);
}
