using System.Globalization;
using System.Security.Cryptography;
using LocalKeyManager.Domain.Credentials;
using LocalKeyManager.Domain.Crypto;
using LocalKeyManager.Domain.Keys;
using LocalKeyManager.Infrastructure.Persistence;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.DependencyInjection;

namespace LocalKeyManager.Infrastructure.Crypto.KeyProtection;

/// <summary>
/// Master key rotation, online: a new version is added and made active, then every wrapped
/// private key and credential key is re-wrapped under it in batches. Each row is updated only if
/// it still carries the version it was read with, so it is safe beside a running service and
/// against a second run; a crashed run is resumed by running it again (it picks up the rows not
/// yet on the active version). Old versions stay until <see cref="RetireAsync"/> finds them unused.
/// With an HSM the operator adds the new key (KeyLabel, the old one under PreviousKeyLabels) and
/// the re-wrap is the same.
/// </summary>
public sealed class MasterKeyRotation(MasterKeyHolder holder, IKeyProtector protector, IServiceScopeFactory scopes)
{
    /// <summary>Adds a fresh version to the key file and makes it active; returns its number.</summary>
    public int AddActiveVersion()
    {
        var path = holder.KeyFile ?? throw new MasterKeyException(
            "The master keys come from configuration: add the new version under KeyProtection:Local:Keys, make it ActiveVersion on every instance, then run rotate again.");
        var ring = MasterKeyRing.ReadFile(path).WithNewActiveVersion();
        ring.ReplaceFile(path);
        holder.LoadFile(path);
        return ring.ActiveVersion;
    }

    /// <summary>Passes over the stored keys at most, before a rotation reports what is left.</summary>
    public const int MaxPasses = 3;

    /// <summary>
    /// How long after a new version became active a key may still be stored under an old one: an
    /// instance reads the key file again within <see cref="MasterKeyHolder.RecheckEvery"/>, and a
    /// key it wrapped just before may take a few seconds more to commit (a slow database: requests
    /// give up on it within API.md's 5 s).
    /// </summary>
    public static readonly TimeSpan Settle = MasterKeyHolder.RecheckEvery + TimeSpan.FromSeconds(5);

    /// <summary>
    /// Re-wraps every blob not on the active version, then reads the usage again: an instance that
    /// has not yet read the new version may have stored a key under the old one behind the pass.
    /// Then it passes again, <see cref="MaxPasses"/> times at most. The rotation is declared
    /// complete only by a pass that began <see cref="Settle"/> after this call (so a clean first
    /// pass is followed by a wait and a last one); <see cref="RotationResult.Remaining"/> is what is
    /// still under another version at the end.
    /// </summary>
    public Task<RotationResult> RewrapAllAsync(int batchSize, Action<string> progress, CancellationToken cancellationToken) =>
        RewrapAllAsync(batchSize, progress, MasterKeyHolder.RecheckEvery, Settle, cancellationToken);

    /// <param name="pause">Between passes when the last one found keys stored meanwhile (a test passes zero).</param>
    /// <param name="settle">How long after the call the deciding pass may begin at the earliest (a test passes zero or a moment).</param>
    internal async Task<RotationResult> RewrapAllAsync(int batchSize, Action<string> progress, TimeSpan pause, TimeSpan settle, CancellationToken cancellationToken)
    {
        var settled = System.Diagnostics.Stopwatch.GetTimestamp() + (long)(settle.TotalSeconds * System.Diagnostics.Stopwatch.Frequency);
        var (keypairs, credentials) = (0, 0);
        for (var pass = 1; ; pass++)
        {
            var late = System.Diagnostics.Stopwatch.GetTimestamp() >= settled;
            var (k, c) = await RewrapAsync(batchSize, progress, cancellationToken);
            keypairs += k;
            credentials += c;
            var usage = await UsageAsync(cancellationToken);
            var active = ActiveKekId();
            var remaining = usage.Where(u => u.Key != active).ToDictionary(u => u.Key, u => u.Value);
            if ((remaining.Count == 0 && late) || pass == MaxPasses)
            {
                return new RotationResult(keypairs, credentials, usage, remaining, pass);
            }

            var untilSettled = System.Diagnostics.Stopwatch.GetElapsedTime(System.Diagnostics.Stopwatch.GetTimestamp(), settled);
            var wait = remaining.Count > 0 && pause > untilSettled ? pause : untilSettled;
            wait = wait > TimeSpan.Zero ? wait : TimeSpan.Zero;
            progress(remaining.Count > 0
                ? $"{Describe(remaining)} stored meanwhile (by an instance that had not yet read the new version): pass {pass + 1} of at most {MaxPasses} in {wait.TotalSeconds:0} s"
                : $"nothing left under another version; a last pass in {wait.TotalSeconds:0} s, once every running instance has read the new version (each reads the key file every {MasterKeyHolder.RecheckEvery.TotalSeconds:0} s) and may have stored a key under an old one");
            await Task.Delay(wait, cancellationToken);
        }
    }

    /// <summary>"2 key(s) under local:v1, 1 key(s) under local:v2".</summary>
    public static string Describe(IReadOnlyDictionary<string, int> usage) =>
        string.Join(", ", usage.OrderBy(u => u.Key, StringComparer.Ordinal).Select(u => $"{u.Value} key(s) under {u.Key}"));

    /// <summary>Re-wraps every blob not on the active version, in one pass; reports progress after each batch.</summary>
    public async Task<(int Keypairs, int Credentials)> RewrapAsync(int batchSize, Action<string> progress, CancellationToken cancellationToken)
    {
        var active = ActiveKekId();
        var keypairs = 0;
        var credentials = 0;
        var lastKeypair = Guid.Empty;
        while (true)
        {
            await using var scope = scopes.CreateAsyncScope();
            var db = scope.ServiceProvider.GetRequiredService<KeyManagerDbContext>();
            var rows = await db.Keypairs.AsNoTracking()
                .Where(k => k.KekId != active && k.WrappedPrivateKey != null && k.Id.CompareTo(lastKeypair) > 0)
                .OrderBy(k => k.Id).Take(batchSize).ToListAsync(cancellationToken);
            if (rows.Count == 0)
            {
                break;
            }

            foreach (var row in rows)
            {
                var fresh = Rewrap(new WrappedKey(row.KekId!, row.WrappedPrivateKey!), Keypair.WrappingContext(new KeypairId(row.Id)));
                keypairs += await db.Keypairs.Where(k => k.Id == row.Id && k.KekId == row.KekId)
                    .ExecuteUpdateAsync(s => s.SetProperty(k => k.WrappedPrivateKey, fresh.Blob).SetProperty(k => k.KekId, fresh.KekId), cancellationToken);
            }

            lastKeypair = rows[^1].Id;
            progress($"re-wrapped {keypairs} keypair(s) under {active}");
        }

        var lastCredential = string.Empty;
        while (true)
        {
            await using var scope = scopes.CreateAsyncScope();
            var db = scope.ServiceProvider.GetRequiredService<KeyManagerDbContext>();
#pragma warning disable CA1309 // Translated to SQL (the column's own collation, the one ORDER BY uses), never run in .NET; EF Core translates only this overload.
            var rows = await db.Credentials.AsNoTracking()
                .Where(c => c.KekId != active && string.Compare(c.Id, lastCredential) > 0)
#pragma warning restore CA1309
                .OrderBy(c => c.Id).Take(batchSize).ToListAsync(cancellationToken);
            if (rows.Count == 0)
            {
                break;
            }

            foreach (var row in rows)
            {
                var fresh = Rewrap(new WrappedKey(row.KekId, row.WrappedKey), HawkCredential.WrappingContext(row.Id));
                credentials += await db.Credentials.Where(c => c.Id == row.Id && c.KekId == row.KekId)
                    .ExecuteUpdateAsync(s => s.SetProperty(c => c.WrappedKey, fresh.Blob).SetProperty(c => c.KekId, fresh.KekId), cancellationToken);
            }

            lastCredential = rows[^1].Id;
            progress($"re-wrapped {credentials} credential(s) under {active}");
        }

        return (keypairs, credentials);
    }

    /// <summary>How many keypairs and credentials each master key version wraps.</summary>
    public async Task<Dictionary<string, int>> UsageAsync(CancellationToken cancellationToken)
    {
        await using var scope = scopes.CreateAsyncScope();
        var db = scope.ServiceProvider.GetRequiredService<KeyManagerDbContext>();
        var keypairs = await db.Keypairs.Where(k => k.KekId != null).GroupBy(k => k.KekId!).Select(g => new { g.Key, Count = g.Count() }).ToListAsync(cancellationToken);
        var credentials = await db.Credentials.GroupBy(c => c.KekId).Select(g => new { g.Key, Count = g.Count() }).ToListAsync(cancellationToken);
        return keypairs.Concat(credentials).GroupBy(x => x.Key).ToDictionary(g => g.Key, g => g.Sum(x => x.Count));
    }

    /// <summary>Removes an old version from the key file, only when nothing is wrapped under it.</summary>
    public async Task RetireAsync(int version, CancellationToken cancellationToken)
    {
        var path = holder.KeyFile ?? throw new MasterKeyException("The master keys come from configuration: remove the version there.");
        var kekId = "local:v" + version.ToString(CultureInfo.InvariantCulture);
        if (!holder.Ring.Versions.Contains(version))
        {
            throw new MasterKeyException($"There is no master key version {version} in {path}.");
        }

        if (version == holder.Ring.ActiveVersion)
        {
            throw new MasterKeyException($"Version {version} is the active master key and cannot be retired.");
        }

        if ((await UsageAsync(cancellationToken)).GetValueOrDefault(kekId) is var used and > 0)
        {
            throw new MasterKeyException($"{used} key(s) are still wrapped under version {version}: run 'master-key rotate --resume' first (it re-wraps them under the active version {holder.Ring.ActiveVersion}, adding no new one).");
        }

        MasterKeyRing.ReadFile(path).Without(version).ReplaceFile(path);
        holder.LoadFile(path);
    }

    private string ActiveKekId() => protector.ActiveKekId;

    private WrappedKey Rewrap(WrappedKey old, string context)
    {
        var buffer = new byte[protector.MaxPlaintextLength(old)];
        try
        {
            var length = protector.Unwrap(old, context, buffer);
            return protector.Wrap(buffer.AsSpan(0, length), context);
        }
        finally
        {
            CryptographicOperations.ZeroMemory(buffer);
        }
    }
}

/// <summary>
/// What a rotation did: keys re-wrapped, the usage per version at the end, what is still under a
/// version other than the active one (empty when the rotation is complete), and the passes made.
/// </summary>
public sealed record RotationResult(int Keypairs, int Credentials, Dictionary<string, int> Usage, Dictionary<string, int> Remaining, int Passes);
