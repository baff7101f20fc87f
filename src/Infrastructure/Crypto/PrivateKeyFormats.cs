using System.Security.Cryptography;

namespace LocalKeyManager.Infrastructure.Crypto;

/// <summary>
/// The private key encodings an import accepts: PEM (<c>RSA PRIVATE KEY</c> = PKCS#1,
/// <c>PRIVATE KEY</c> = PKCS#8), or base64 of the DER (PKCS#1, as the original service stored
/// it, or PKCS#8). Encrypted PEM is not accepted: decrypt it first.
/// </summary>
internal static class PrivateKeyFormats
{
    private const string NotAKey = "privateKey is not an RSA private key in base64 DER (PKCS#1 or PKCS#8) or PEM (PKCS#1 or PKCS#8).";

    /// <summary>Reads <paramref name="text"/> into <paramref name="rsa"/>; null, or why not (never echoing the key).</summary>
    public static string? Read(RSA rsa, string text)
    {
        var trimmed = text.Trim();
        if (IsEncryptedPem(trimmed))
        {
            return "privateKey is encrypted with a passphrase: decrypt it first (openssl pkey -in encrypted.pem -out key.pem).";
        }

        if (CountOf(trimmed, "-----BEGIN ") > 1 && CountOf(trimmed, "PRIVATE KEY-----") > 2)
        {
            return "privateKey holds more than one private key: give one.";
        }

        return TryRead(rsa, trimmed) ? null : NotAKey;
    }

    /// <summary>A passphrase-encrypted private key in PEM: PKCS#8 (<c>ENCRYPTED PRIVATE KEY</c>) or OpenSSL's legacy <c>Proc-Type</c> header.</summary>
    public static bool IsEncryptedPem(string text) =>
        text.Contains("ENCRYPTED PRIVATE KEY-----", StringComparison.Ordinal) || text.Contains("Proc-Type: 4,ENCRYPTED", StringComparison.Ordinal);

    private static int CountOf(string text, string what)
    {
        var count = 0;
        for (var at = text.IndexOf(what, StringComparison.Ordinal); at >= 0; at = text.IndexOf(what, at + what.Length, StringComparison.Ordinal))
        {
            count++;
        }

        return count;
    }

    private static bool TryRead(RSA rsa, string trimmed)
    {
        try
        {
            // PEM may come with text around it (openssl's "Bag Attributes" lines before a key
            // taken out of a PKCS#12 file); ImportFromPem reads the one key block in it.
            if (trimmed.Contains("-----BEGIN", StringComparison.Ordinal))
            {
                if (!trimmed.Contains("PRIVATE KEY-----", StringComparison.Ordinal))
                {
                    return false;
                }

                rsa.ImportFromPem(trimmed);
                return true;
            }

            var der = Convert.FromBase64String(trimmed);
            try
            {
                return TryImportDer(rsa, der);
            }
            finally
            {
                CryptographicOperations.ZeroMemory(der);
            }
        }
        catch (Exception e) when (e is CryptographicException or FormatException or ArgumentException)
        {
            return false;
        }
    }

    private static bool TryImportDer(RSA rsa, byte[] der)
    {
        try
        {
            rsa.ImportRSAPrivateKey(der, out var read);
            return read == der.Length;
        }
        catch (CryptographicException)
        {
            rsa.ImportPkcs8PrivateKey(der, out var read);
            return read == der.Length;
        }
    }
}
