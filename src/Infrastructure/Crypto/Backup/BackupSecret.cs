using System.Security.Cryptography;

namespace LocalKeyManager.Infrastructure.Crypto.Backup;

/// <summary>What opens a backup: a passphrase, or (for recipient backups) an RSA key in PEM.</summary>
public sealed record BackupSecret(string? Passphrase, string? RecipientPem)
{
    /// <summary>The shortest passphrase a new backup is made with (it protects every private key, offline).</summary>
    public const int MinPassphraseLength = 16;

    /// <summary>The smallest recipient key a new backup is made for: no weaker than the RSA-3072 keys it holds.</summary>
    public const int MinRecipientBits = 3072;

    /// <summary>Printed without the passphrase or the key (on restore, the recipient's private key).</summary>
    private bool PrintMembers(System.Text.StringBuilder builder)
    {
        builder.Append(System.Globalization.CultureInfo.InvariantCulture, $"Passphrase = {Application.Common.Redacted.Text(Passphrase)}, RecipientPem = {Application.Common.Redacted.Text(RecipientPem)}");
        return true;
    }

    public static BackupSecret FromPassphrase(string passphrase) => new(passphrase, null);

    /// <summary>
    /// A recipient key read from <paramref name="source"/>; refused when it is not an RSA key in
    /// PEM, is below <paramref name="minimumBits"/>, or (<paramref name="privateKey"/>: to open a
    /// backup) is a public key or an encrypted private key.
    /// </summary>
    public static BackupSecret FromRecipient(string pem, string source, int minimumBits, bool privateKey = false)
    {
        if (PrivateKeyFormats.IsEncryptedPem(pem))
        {
            throw new BackupException(privateKey
                ? $"{source} is encrypted with a passphrase: decrypt it first (openssl pkey -in {source} -out key.pem)."
                : $"{source} is an encrypted private key: a backup is made for the public key (openssl pkey -in {source} -pubout -out recipient.pub.pem).");
        }

        using var key = RSA.Create();
        try
        {
            key.ImportFromPem(pem);
        }
        catch (Exception e) when (e is ArgumentException or CryptographicException)
        {
            throw new BackupException($"{source} is not an RSA key in PEM (SubjectPublicKeyInfo, PKCS#1 or PKCS#8).", e);
        }

        if (privateKey && !HasPrivateHalf(key))
        {
            throw new BackupException($"{source} is a public key: a backup made for a recipient key opens only with its private key.");
        }

        if (key.KeySize < minimumBits)
        {
            throw new BackupException($"{source} is RSA-{key.KeySize}; a backup is made only for a recipient key of at least {minimumBits} bits.");
        }

        return new BackupSecret(null, pem);
    }

    private static bool HasPrivateHalf(RSA key)
    {
        try
        {
            var parameters = key.ExportParameters(includePrivateParameters: true);
            foreach (var secret in new[] { parameters.D, parameters.P, parameters.Q, parameters.DP, parameters.DQ, parameters.InverseQ })
            {
                CryptographicOperations.ZeroMemory(secret);
            }

            return true;
        }
        catch (CryptographicException)
        {
            return false;
        }
    }
}
