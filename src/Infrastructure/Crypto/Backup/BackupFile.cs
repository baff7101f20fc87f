using System.Text.Json.Serialization;

namespace LocalKeyManager.Infrastructure.Crypto.Backup;

/// <summary>
/// The backup file: a JSON envelope whose <see cref="Ciphertext"/> is AES-256-GCM over the
/// keypairs (<see cref="BackupContent"/>), under a key derived from a passphrase (PBKDF2-SHA256)
/// or wrapped to a recipient's RSA public key (RSA-OAEP-SHA256). The header is the associated
/// data, so neither half can be swapped.
/// </summary>
internal sealed record BackupFile(
    [property: JsonPropertyName("format")] string Format,
    [property: JsonPropertyName("createdAt")] string CreatedAt,
    [property: JsonPropertyName("kdf")] BackupKdf? Kdf,
    [property: JsonPropertyName("recipient")] BackupRecipient? Recipient,
    [property: JsonPropertyName("nonce")] string Nonce,
    [property: JsonPropertyName("ciphertext")] string Ciphertext)
{
    public const string CurrentFormat = "lkm-backup-1";
}

internal sealed record BackupKdf(
    [property: JsonPropertyName("name")] string Name,
    [property: JsonPropertyName("iterations")] int Iterations,
    [property: JsonPropertyName("salt")] string Salt);

internal sealed record BackupRecipient(
    [property: JsonPropertyName("keyEncryption")] string KeyEncryption,
    [property: JsonPropertyName("publicKeySha256")] string PublicKeySha256,
    [property: JsonPropertyName("encryptedKey")] string EncryptedKey);

internal sealed record BackupContent([property: JsonPropertyName("keypairs")] List<BackupKeypair> Keypairs);

internal sealed record BackupKeypair(
    [property: JsonPropertyName("id")] string Id,
    [property: JsonPropertyName("dateCreated")] long DateCreated,
    [property: JsonPropertyName("state")] string State,
    [property: JsonPropertyName("publicKey")] string PublicKey,
    [property: JsonPropertyName("privateKey")] string PrivateKey)
{
    /// <summary>Printed without the private key.</summary>
    private bool PrintMembers(System.Text.StringBuilder builder)
    {
        builder.Append(System.Globalization.CultureInfo.InvariantCulture, $"Id = {Id}, DateCreated = {DateCreated}, State = {State}, PrivateKey = {Application.Common.Redacted.Text(PrivateKey)}");
        return true;
    }
}
