using System.Security.Cryptography;
using System.Text;
using System.Text.Json;
using LocalKeyManager.Domain.Crypto;
using LocalKeyManager.Domain.Keys;
using Microsoft.Extensions.DependencyInjection;
using NodaTime;

namespace LocalKeyManager.Infrastructure.Crypto.Backup;

/// <summary>
/// Backups of every keypair that still has its private key, for disaster recovery independent of
/// the master key: export (plaintext keys exist only inside this class, in memory, and are
/// encrypted before anything is written), verify without restoring, and restore without
/// duplicating or overwriting (an id already present with the same key is skipped, with another
/// key is reported as a conflict and left alone).
/// </summary>
public sealed class KeyBackup(IServiceScopeFactory scopes, IKeyProtector protector, IRsaEngine rsa, IClock clock)
{
    public const int Pbkdf2Iterations = 600_000;

    /// <summary>More than this is refused when opening: a file edited to a huge count would otherwise run for hours.</summary>
    public const int MaxPbkdf2Iterations = 10_000_000;
    private const int TagSize = 16;
    private const int NonceSize = 12;

    /// <summary>
    /// Writes the backup to <paramref name="path"/>, which must not exist: it is written whole to a
    /// temporary file beside it and only then moved to its name (never over an existing file), so a
    /// failed write (a full disk) leaves neither a truncated backup nor the temporary file behind.
    /// </summary>
    public Task<int> ExportAsync(string path, BackupSecret secret, CancellationToken cancellationToken) =>
        ExportAsync(path, secret, static stream => stream, cancellationToken);

    /// <param name="output">What the file's stream is written through (a test makes it fail part-way).</param>
    internal async Task<int> ExportAsync(string path, BackupSecret secret, Func<Stream, Stream> output, CancellationToken cancellationToken)
    {
        if (Path.Exists(path))
        {
            throw Exists(path);
        }

        await using var scope = scopes.CreateAsyncScope();
        var keypairs = await scope.ServiceProvider.GetRequiredService<IKeypairRepository>().ListAsync(cancellationToken);
        var content = new BackupContent(keypairs.Where(k => k.PrivateKey is not null).Select(ToBackup).ToList());
        var plaintext = JsonSerializer.SerializeToUtf8Bytes(content);
        try
        {
            var key = RandomNumberGenerator.GetBytes(32);
            BackupKdf? kdf = null;
            BackupRecipient? recipient = null;
            if (secret.Passphrase is not null)
            {
                var salt = RandomNumberGenerator.GetBytes(16);
                key = Rfc2898DeriveBytes.Pbkdf2(secret.Passphrase, salt, Pbkdf2Iterations, HashAlgorithmName.SHA256, 32);
                kdf = new BackupKdf("PBKDF2-SHA256", Pbkdf2Iterations, Convert.ToBase64String(salt));
            }
            else
            {
                using var recipientKey = RSA.Create();
                recipientKey.ImportFromPem(secret.RecipientPem);
                recipient = new BackupRecipient("RSA-OAEP-SHA256", Fingerprint(recipientKey), Convert.ToBase64String(recipientKey.Encrypt(key, RSAEncryptionPadding.OaepSHA256)));
            }

            var header = new BackupFile(BackupFile.CurrentFormat, clock.GetCurrentInstant().ToString(), kdf, recipient, Convert.ToBase64String(RandomNumberGenerator.GetBytes(NonceSize)), string.Empty);
            var ciphertext = new byte[plaintext.Length + TagSize];
            using (var aes = new AesGcm(key, TagSize))
            {
                aes.Encrypt(Convert.FromBase64String(header.Nonce), plaintext, ciphertext.AsSpan(0, plaintext.Length), ciphertext.AsSpan(plaintext.Length), AssociatedData(header));
            }

            CryptographicOperations.ZeroMemory(key);
            var file = header with { Ciphertext = Convert.ToBase64String(ciphertext) };
            var options = new FileStreamOptions { Mode = FileMode.CreateNew, Access = FileAccess.Write };
            if (!OperatingSystem.IsWindows())
            {
                options.UnixCreateMode = UnixFileMode.UserRead | UnixFileMode.UserWrite;
            }

            var temporary = Path.Combine(Path.GetDirectoryName(Path.GetFullPath(path))!, $".{Path.GetFileName(path)}.{Convert.ToHexString(RandomNumberGenerator.GetBytes(4))}.tmp");
            try
            {
                await using (var stream = new FileStream(temporary, options))
                {
                    var written = output(stream);
                    await JsonSerializer.SerializeAsync(written, file, new JsonSerializerOptions { WriteIndented = true }, cancellationToken);
                    await written.FlushAsync(cancellationToken);
                    stream.Flush(flushToDisk: true);
                }

                try
                {
                    File.Move(temporary, path, overwrite: false);
                }
                catch (IOException e) when (Path.Exists(path))
                {
                    // Made by someone else meanwhile: theirs stays.
                    throw Exists(path, e);
                }
            }
            catch
            {
                if (File.Exists(temporary))
                {
                    File.Delete(temporary);
                }

                throw;
            }

            return content.Keypairs.Count;
        }
        finally
        {
            CryptographicOperations.ZeroMemory(plaintext);
        }
    }

    private static BackupException Exists(string path, Exception? inner = null)
    {
        var message = $"{path} already exists: an existing file is never overwritten; choose another name.";
        return inner is null ? new(message) : new(message, inner);
    }

    /// <summary>
    /// Opens the backup and checks that every private key matches its public key; returns how
    /// many. Needs no installation (no database, no master key): only the file and its secret.
    /// </summary>
    public static async Task<int> VerifyAsync(string path, BackupSecret secret, CancellationToken cancellationToken)
    {
        var content = await OpenAsync(path, secret, cancellationToken);
        foreach (var keypair in content.Keypairs)
        {
            using var key = RSA.Create();
            try
            {
                key.ImportRSAPrivateKey(Convert.FromBase64String(keypair.PrivateKey), out _);
            }
            catch (Exception e) when (e is CryptographicException or FormatException)
            {
                throw new BackupException($"Keypair {keypair.Id} in the backup is not a readable private key.", e);
            }

            if (!key.ExportRSAPublicKey().AsSpan().SequenceEqual(Convert.FromBase64String(keypair.PublicKey)))
            {
                throw new BackupException($"Keypair {keypair.Id} in the backup has a private key that does not match its public key.");
            }
        }

        return content.Keypairs.Count;
    }

    /// <summary>
    /// Restores what is missing; returns (restored, already present, conflicting ids, ids destroyed
    /// here). A keypair destroyed in this database stays destroyed: a backup made before the
    /// destruction does not undo it.
    /// </summary>
    public async Task<(int Restored, int Skipped, List<string> Conflicts, List<string> Destroyed)> RestoreAsync(string path, BackupSecret secret, CancellationToken cancellationToken)
    {
        var content = await OpenAsync(path, secret, cancellationToken);
        await using var scope = scopes.CreateAsyncScope();
        var repository = scope.ServiceProvider.GetRequiredService<IKeypairRepository>();
        var (restored, skipped, conflicts, destroyed) = (0, 0, new List<string>(), new List<string>());
        foreach (var entry in content.Keypairs)
        {
            if (!KeypairId.TryParse(entry.Id, out var id))
            {
                throw new BackupException($"The backup holds a keypair id that is not a UUID: {entry.Id}.");
            }

            var imported = rsa.TryImport(id, entry.PrivateKey, 0, out var error) ?? throw new BackupException($"Keypair {entry.Id}: {error}");
            var keypair = Keypair.Create(id, imported.PublicKey, imported.PrivateKey, Instant.FromUnixTimeMilliseconds(entry.DateCreated));
            if (entry.State != KeyStates.ToWire(KeyState.Enabled))
            {
                // Anything but enabled comes back disabled: an operator decides again.
                keypair.Disable();
            }

            if (await repository.TryAddAsync(keypair, cancellationToken))
            {
                restored++;
                continue;
            }

            var existing = await repository.FindAsync(id, cancellationToken);
            if (existing?.PublicKey.AsSpan().SequenceEqual(imported.PublicKey) != true)
            {
                conflicts.Add(entry.Id);
            }
            else if (existing.State == KeyState.Destroyed)
            {
                destroyed.Add(entry.Id);
            }
            else
            {
                skipped++;
            }
        }

        return (restored, skipped, conflicts, destroyed);
    }

    private static byte[] AssociatedData(BackupFile header) =>
        Encoding.UTF8.GetBytes(JsonSerializer.Serialize(header with { Ciphertext = string.Empty }));

    private static string Fingerprint(RSA key) => Convert.ToBase64String(SHA256.HashData(key.ExportRSAPublicKey()));

    private static async Task<BackupContent> OpenAsync(string path, BackupSecret secret, CancellationToken cancellationToken)
    {
        BackupFile file;
        try
        {
            await using var stream = File.OpenRead(path);
            file = await JsonSerializer.DeserializeAsync<BackupFile>(stream, cancellationToken: cancellationToken)
                ?? throw new BackupException($"{path} is empty.");
        }
        catch (JsonException e)
        {
            throw new BackupException($"{path} is not an LKM backup file.", e);
        }

        if (file.Format != BackupFile.CurrentFormat)
        {
            throw new BackupException($"{path} has format '{file.Format}', not {BackupFile.CurrentFormat}.");
        }

        // Every field read before the key is derived: an edited or damaged one is named, not a framework message.
        var nonce = Base64Field(file.Nonce, "nonce", path, NonceSize);
        var ciphertext = Base64Field(file.Ciphertext, "ciphertext", path);
        if (ciphertext.Length < TagSize)
        {
            throw new BackupException($"{path} is truncated.");
        }

        var key = DeriveKey(file, secret, path);

        var plaintext = new byte[ciphertext.Length - TagSize];
        try
        {
            using var aes = new AesGcm(key, TagSize);
            aes.Decrypt(nonce, ciphertext.AsSpan(0, plaintext.Length), ciphertext.AsSpan(plaintext.Length), plaintext, AssociatedData(file));
            return JsonSerializer.Deserialize<BackupContent>(plaintext) ?? throw new BackupException($"{path} holds no keypairs.");
        }
        catch (AuthenticationTagMismatchException e)
        {
            throw new BackupException("The backup does not open: wrong passphrase or key, or the file was altered.", e);
        }
        finally
        {
            CryptographicOperations.ZeroMemory(key);
            CryptographicOperations.ZeroMemory(plaintext);
        }
    }

    private static byte[] DeriveKey(BackupFile file, BackupSecret secret, string path)
    {
        if (file.Kdf is { } kdf)
        {
            var salt = Base64Field(kdf.Salt, "kdf.salt", path);
            _ = kdf.Name ?? throw Malformed(path, "kdf.name");
            if (secret.Passphrase is null)
            {
                throw new BackupException("This backup is protected by a passphrase.");
            }

            if (kdf.Name != "PBKDF2-SHA256" || kdf.Iterations < Pbkdf2Iterations || kdf.Iterations > MaxPbkdf2Iterations)
            {
                throw new BackupException($"The backup's key derivation ({kdf.Name}, {kdf.Iterations} iterations) is not one this version trusts.");
            }

            return Rfc2898DeriveBytes.Pbkdf2(secret.Passphrase, salt, kdf.Iterations, HashAlgorithmName.SHA256, 32);
        }

        if (file.Recipient is { } recipient && secret.RecipientPem is not null)
        {
            var encryptedKey = Base64Field(recipient.EncryptedKey, "recipient.encryptedKey", path);
            _ = recipient.PublicKeySha256 ?? throw Malformed(path, "recipient.publicKeySha256");
            using var key = RSA.Create();
            key.ImportFromPem(secret.RecipientPem);
            if (Fingerprint(key) != recipient.PublicKeySha256)
            {
                throw new BackupException("This backup was made for another recipient key.");
            }

            try
            {
                return key.Decrypt(encryptedKey, RSAEncryptionPadding.OaepSHA256);
            }
            catch (CryptographicException e)
            {
                throw new BackupException("The recipient key does not open this backup.", e);
            }
        }

        throw file.Recipient is null
            ? new BackupException("The backup names neither a key derivation nor a recipient key: it was altered, or is not an LKM backup.")
            : new BackupException("This backup is protected by a recipient RSA key: pass its private key.");
    }

    /// <summary>A field of the envelope as bytes: present, base64 and, given <paramref name="size"/>, of that many bytes.</summary>
    private static byte[] Base64Field(string? value, string name, string path, int? size = null)
    {
        byte[]? bytes = null;
        try
        {
            bytes = value is null ? null : Convert.FromBase64String(value);
        }
        catch (FormatException)
        {
        }

        return bytes is not null && (size is null || bytes.Length == size) ? bytes : throw Malformed(path, name);
    }

    private static BackupException Malformed(string path, string name) =>
        new($"{path} is not a valid LKM backup: '{name}' is missing or malformed.");

    private BackupKeypair ToBackup(Keypair keypair)
    {
        var wrapped = keypair.PrivateKey!;
        var buffer = new byte[protector.MaxPlaintextLength(wrapped)];
        try
        {
            var length = protector.Unwrap(wrapped, Keypair.WrappingContext(keypair.Id), buffer);
            return new BackupKeypair(
                keypair.Id.ToString(),
                keypair.CreatedAt.ToUnixTimeMilliseconds(),
                KeyStates.ToWire(keypair.State),
                Convert.ToBase64String(keypair.PublicKey),
                Convert.ToBase64String(buffer, 0, length));
        }
        finally
        {
            CryptographicOperations.ZeroMemory(buffer);
        }
    }
}
