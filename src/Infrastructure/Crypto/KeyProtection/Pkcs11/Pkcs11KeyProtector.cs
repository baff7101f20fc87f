using System.Security.Cryptography;
using System.Text;
using LocalKeyManager.Application.Errors;
using LocalKeyManager.Domain.Crypto;
using Net.Pkcs11Interop.Common;
using Net.Pkcs11Interop.HighLevelAPI;

namespace LocalKeyManager.Infrastructure.Crypto.KeyProtection.Pkcs11;

/// <summary>
/// AES-256-GCM inside a PKCS#11 token (CKM_AES_GCM, 96-bit IV, the context as associated data,
/// 128-bit tag): the master key never leaves the HSM. Blob: version byte 2, 12-byte IV, then the
/// token's ciphertext with its tag. The KEK id is <c>pkcs11:{key label}</c>.
/// </summary>
public sealed class Pkcs11KeyProtector(Pkcs11Holder holder) : IKeyProtector
{
    private const byte FormatVersion = 2;
    private const int IvSize = 12;
    private const int TagSize = 16;
    private const int Overhead = 1 + IvSize + TagSize;
    public const string KekPrefix = "pkcs11:";

    public string ActiveKekId => KekPrefix + holder.Current.Label;

    public WrappedKey Wrap(ReadOnlySpan<byte> plaintext, string context)
    {
        var (token, label, key, _) = holder.Current;
        var iv = RandomNumberGenerator.GetBytes(IvSize);
        var input = plaintext.ToArray();
        try
        {
            byte[] ciphertext;
            try
            {
                ciphertext = token.Use(session => session.Encrypt(Mechanism(iv, context), key, input));
            }
            catch (Pkcs11Exception e) when (Pkcs11Holder.MeansTokenGone(e.RV))
            {
                throw TokenGone(e);
            }
            catch (ObjectDisposedException)
            {
                throw Reopening();
            }

            var blob = new byte[1 + IvSize + ciphertext.Length];
            blob[0] = FormatVersion;
            iv.CopyTo(blob, 1);
            ciphertext.CopyTo(blob, 1 + IvSize);
            return new WrappedKey(KekPrefix + label, blob);
        }
        finally
        {
            CryptographicOperations.ZeroMemory(input);
        }
    }

    public int Unwrap(WrappedKey wrapped, string context, Span<byte> destination)
    {
        ArgumentNullException.ThrowIfNull(wrapped);
        var current = holder.Current;
        var (token, label) = (current.Token, current.Label);
        var key = wrapped.KekId.StartsWith(KekPrefix, StringComparison.Ordinal) ? current.Find(wrapped.KekId[KekPrefix.Length..]) : null;
        if (key is null)
        {
            throw new KeyUnwrapException($"The key was wrapped by '{wrapped.KekId}', which is neither the configured HSM key '{label}' nor one of KeyProtection:Pkcs11:PreviousKeyLabels.");
        }

        var blob = wrapped.Blob;
        if (blob.Length < Overhead || blob[0] != FormatVersion)
        {
            throw new KeyUnwrapException("The wrapped key is malformed.");
        }

        byte[] plaintext;
        try
        {
            plaintext = token.Use(session => session.Decrypt(Mechanism(blob.AsSpan(1, IvSize).ToArray(), context), key, blob.AsSpan(1 + IvSize).ToArray()));
        }
        catch (Pkcs11Exception e) when (Pkcs11Holder.MeansTokenGone(e.RV))
        {
            throw TokenGone(e);
        }
        catch (ObjectDisposedException)
        {
            throw Reopening();
        }
        catch (Pkcs11Exception e)
        {
            throw new KeyUnwrapException($"The HSM refused to unwrap the key ({e.RV}): it was altered, belongs to another record, or the HSM key is wrong.", e);
        }

        try
        {
            if (destination.Length < plaintext.Length)
            {
                throw new ArgumentException("The destination is too short for the plaintext.", nameof(destination));
            }

            plaintext.CopyTo(destination);
            return plaintext.Length;
        }
        finally
        {
            CryptographicOperations.ZeroMemory(plaintext);
        }
    }

    /// <summary>
    /// The token, its sessions or its login are gone: an outage of the HSM, not a fault of the
    /// key. The token is opened again (at most every <see cref="Pkcs11Holder.ReopenInterval"/>),
    /// and this request is a 503 its client may retry.
    /// </summary>
    private UnavailableException TokenGone(Pkcs11Exception e)
    {
        holder.Reopen(e.RV);
        return new UnavailableException($"The HSM is not available ({e.RV}). Retry shortly.");
    }

    /// <summary>The token this operation began on was closed under it, to be opened again.</summary>
    private static UnavailableException Reopening() => new("The HSM is being opened again. Retry shortly.");

    public int MaxPlaintextLength(WrappedKey wrapped) => Math.Max(0, wrapped.Blob.Length - Overhead);

    private static IMechanism Mechanism(byte[] iv, string context) =>
        Pkcs11Token.Factories.MechanismFactory.Create(
            CKM.CKM_AES_GCM,
            Pkcs11Token.Factories.MechanismParamsFactory.CreateCkGcmParams(iv, IvSize * 8, Encoding.UTF8.GetBytes(context), TagSize * 8));
}
