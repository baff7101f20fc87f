using LocalKeyManager.Domain.Credentials;
using LocalKeyManager.Domain.Crypto;
using LocalKeyManager.Domain.Keys;
using LocalKeyManager.Infrastructure.Persistence;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;

namespace LocalKeyManager.Infrastructure.Crypto.KeyProtection;

/// <summary>
/// Loads the local master key at start-up, and proves it is the right one by unwrapping a stored
/// blob. Only the embedded default (SQLite, nothing configured, nothing stored yet) may create a
/// key file by itself: a new key over existing data would make every stored key unreadable.
/// </summary>
public sealed partial class MasterKeyInitializer(
    MasterKeyHolder holder,
    Pkcs11.Pkcs11Holder pkcs11,
    IOptions<KeyProtectionOptions> options,
    IDatabaseDialect dialect,
    IDatabaseLocation location,
    KeyManagerDbContext db,
    IKeyProtector protector,
    ILogger<MasterKeyInitializer> logger,
    KeyFileCreation? creation = null)
{
    public const string DefaultKeyFileName = "lkm.masterkey.json";

    public async Task InitializeAsync(CancellationToken cancellationToken)
    {
        var local = options.Value.Local;
        if (options.Value.IsPkcs11)
        {
            foreach (var label in pkcs11.Open(options.Value.Pkcs11))
            {
                LogHsmKeyCanLeave(logger, label);
            }
        }
        else if (local.Keys.Count > 0)
        {
            holder.Load(MasterKeyRing.FromStrings(local.Keys, local.ActiveVersion, "KeyProtection:Local:Keys"));
        }
        else
        {
            var path = local.KeyFile ?? DefaultKeyFilePath();
            if (!File.Exists(path))
            {
                await CreateKeyFileIfAllowedAsync(path, explicitlyConfigured: local.KeyFile is not null, cancellationToken);
            }

            holder.LoadFile(path);
            WarnIfOthersMayRead(path);
        }

        await VerifyAgainstStoredKeysAsync(cancellationToken);
        ProveRoundTrip();
    }

    /// <summary>
    /// Wraps and unwraps a throwaway value with the active key, so a key that cannot wrap (an HSM
    /// key of another type or size, a token that refuses the mechanism) stops start-up with one
    /// clear line, also on an empty database, instead of failing the first key or credential made.
    /// </summary>
    private void ProveRoundTrip()
    {
        if (KeyProtectorProbe.Fails(protector, "lkm/start-up") is { } why)
        {
            throw new MasterKeyException($"The master key ({protector.ActiveKekId}) cannot wrap and unwrap: {why}. Refusing to start.");
        }
    }

    private string DefaultKeyFilePath()
    {
        if (dialect.Name != "Sqlite")
        {
            throw new MasterKeyException(
                "No master key is configured. With a shared database every instance must use the same master key: " +
                "set KeyProtection:Local:KeyFile or KeyProtection:Local:Keys.");
        }

        return Path.Combine(location.DataDirectory, DefaultKeyFileName);
    }

    private async Task CreateKeyFileIfAllowedAsync(string path, bool explicitlyConfigured, CancellationToken cancellationToken)
    {
        if (explicitlyConfigured)
        {
            throw new MasterKeyException(Directory.Exists(path)
                ? $"Master key file {path} (KeyProtection:Local:KeyFile) is a folder: name the key file itself."
                : $"Master key file {path} (KeyProtection:Local:KeyFile) does not exist.");
        }

        if (creation is { Allowed: false })
        {
            throw new MasterKeyException(
                $"There is no master key file at {path}, and this command does not create one " +
                "('lkm serve', 'lkm credentials create', 'lkm keys import' or 'lkm keys restore-backup' sets up an installation).");
        }

        if (await db.Keypairs.AnyAsync(cancellationToken) || await db.Credentials.AnyAsync(cancellationToken))
        {
            throw new MasterKeyException(
                $"Master key file {path} is missing, but the database holds keys wrapped under a master key. " +
                "Restore the key file (or configure KeyProtection:Local); a new key would make every stored key unreadable.");
        }

        Directory.CreateDirectory(Path.GetDirectoryName(Path.GetFullPath(path))!);
        MasterKeyRing.CreateNew().WriteNewFile(path);
        LogCreatedKeyFile(logger, path);
    }

    /// <summary>
    /// Proves the master key against the stored keys under each key-encryption key the database
    /// names (a rotation in progress leaves two), so a configuration that lacks one of them stops
    /// here, not at the first decrypt that needs it. A key is proven when one of the oldest few
    /// blobs under it unwraps: a wrong key fails them all, while one damaged row must not keep the
    /// whole service down (a decrypt that meets it fails and is logged as Critical).
    /// </summary>
    private async Task VerifyAgainstStoredKeysAsync(CancellationToken cancellationToken)
    {
        foreach (var kekId in await db.Credentials.AsNoTracking().Select(c => c.KekId).Distinct().ToListAsync(cancellationToken))
        {
            var rows = await db.Credentials.AsNoTracking().Where(c => c.KekId == kekId).OrderBy(c => c.CreatedAt).Take(SamplesPerKey).ToListAsync(cancellationToken);
            VerifyAny(rows.Select(c => (new WrappedKey(c.KekId, c.WrappedKey), HawkCredential.WrappingContext(c.Id))));
        }

        var keypairKeks = await db.Keypairs.AsNoTracking().Where(k => k.WrappedPrivateKey != null).Select(k => k.KekId!).Distinct().ToListAsync(cancellationToken);
        foreach (var kekId in keypairKeks)
        {
            var rows = await db.Keypairs.AsNoTracking().Where(k => k.KekId == kekId && k.WrappedPrivateKey != null).OrderBy(k => k.CreatedAt).Take(SamplesPerKey).ToListAsync(cancellationToken);
            VerifyAny(rows.Select(k => (new WrappedKey(k.KekId!, k.WrappedPrivateKey!), Keypair.WrappingContext(new KeypairId(k.Id)))));
        }
    }

    private const int SamplesPerKey = 5;

    private void VerifyAny(IEnumerable<(WrappedKey Wrapped, string Context)> samples)
    {
        KeyUnwrapException? first = null;
        foreach (var (wrapped, context) in samples)
        {
            var buffer = new byte[protector.MaxPlaintextLength(wrapped)];
            try
            {
                protector.Unwrap(wrapped, context, buffer);
                return;
            }
            catch (KeyUnwrapException e)
            {
                first ??= e;
            }
            finally
            {
                System.Security.Cryptography.CryptographicOperations.ZeroMemory(buffer);
            }
        }

        if (first is not null)
        {
            throw new MasterKeyException($"The configured master key does not unwrap the stored keys ({first.Message}). Refusing to start with the wrong master key.", first);
        }
    }

    private void WarnIfOthersMayRead(string path)
    {
        if (Platform.FileModes.OpenToOthers(path) is { } mode)
        {
            LogKeyFileOpen(logger, path, mode);
        }
    }

    [LoggerMessage(Level = LogLevel.Warning, Message = "The PKCS#11 key '{Label}' can leave the HSM (CKA_EXTRACTABLE true or CKA_SENSITIVE false): whoever holds the PIN can read it out, and with it every wrapped key. Make a key that is sensitive and not extractable and rotate to it (docs/operations.md)")]
    private static partial void LogHsmKeyCanLeave(ILogger logger, string label);

    [LoggerMessage(Level = LogLevel.Warning, Message = "The master key file {Path} may be read by other users (mode {Mode}): anyone who reads it and the database can unwrap every key. Make it owner-only (chmod 600)")]
    private static partial void LogKeyFileOpen(ILogger logger, string path, string mode);

    [LoggerMessage(Level = LogLevel.Warning, Message = "Created a new local master key file at {Path} (owner-only permissions). " +
        "Back it up: without it no stored key can be used. This is the embedded default for trying LKM out; " +
        "production master keys belong in an HSM.")]
    private static partial void LogCreatedKeyFile(ILogger logger, string path);
}
