namespace LocalKeyManager.Infrastructure.Crypto.Backup;

/// <summary>What opens a backup: a passphrase, or (for recipient backups) an RSA key in PEM.</summary>
public sealed record BackupSecret(string? Passphrase, string? RecipientPem)
{
    public static BackupSecret FromPassphrase(string passphrase) => new(passphrase, null);

    public static BackupSecret FromRecipient(string pem) => new(null, pem);
}
