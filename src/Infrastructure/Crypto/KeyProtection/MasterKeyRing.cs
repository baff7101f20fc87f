using System.Globalization;
using System.Security.Cryptography;
using System.Text.Json;
using System.Text.Json.Serialization;

namespace LocalKeyManager.Infrastructure.Crypto.KeyProtection;

/// <summary>The local master keys: 256-bit AES keys by version, one of them active for new wraps.</summary>
public sealed class MasterKeyRing
{
    private readonly Dictionary<int, byte[]> _keys;

    public MasterKeyRing(IReadOnlyDictionary<int, byte[]> keys, int activeVersion)
    {
        if (keys.Count == 0)
        {
            throw new MasterKeyException("No master key is configured.");
        }

        foreach (var (version, key) in keys)
        {
            if (version < 1 || key.Length != 32)
            {
                throw new MasterKeyException($"Master key version {version} is not a positive version with a 32-byte (256-bit) key.");
            }
        }

        if (!keys.ContainsKey(activeVersion))
        {
            throw new MasterKeyException($"The active master key version {activeVersion} is not among the configured versions.");
        }

        _keys = keys.ToDictionary(k => k.Key, k => k.Value.ToArray());
        ActiveVersion = activeVersion;
    }

    public int ActiveVersion { get; }

    public IEnumerable<int> Versions => _keys.Keys;

    public bool TryGet(int version, out byte[] key) => _keys.TryGetValue(version, out key!);

    public byte[] Active => _keys[ActiveVersion];

    /// <summary>
    /// A version both rings hold with different keys, or null. Rotation adds versions and retirement
    /// removes them; nothing ever changes the key of a version, so a file that does is another
    /// installation's (or a damaged copy), not this one's.
    /// </summary>
    public int? VersionChangedIn(MasterKeyRing other)
    {
        foreach (var (version, key) in _keys)
        {
            if (other._keys.TryGetValue(version, out var otherKey) && !CryptographicOperations.FixedTimeEquals(key, otherKey))
            {
                return version;
            }
        }

        return null;
    }

    public static MasterKeyRing CreateNew() =>
        new(new Dictionary<int, byte[]> { [1] = RandomNumberGenerator.GetBytes(32) }, 1);

    /// <summary>Reads keys in the configuration's shape: versions as strings, keys as base64.</summary>
    public static MasterKeyRing FromStrings(IReadOnlyDictionary<string, string> keys, int? activeVersion, string source)
    {
        var parsed = new Dictionary<int, byte[]>();
        foreach (var (versionText, base64) in keys)
        {
            if (!int.TryParse(versionText, NumberStyles.None, CultureInfo.InvariantCulture, out var version))
            {
                throw new MasterKeyException($"{source}: master key version '{versionText}' is not a whole number.");
            }

            try
            {
                parsed[version] = Convert.FromBase64String(base64);
            }
            catch (FormatException)
            {
                throw new MasterKeyException($"{source}: master key version {version} is not valid base64.");
            }
        }

        try
        {
            return new MasterKeyRing(parsed, activeVersion ?? (parsed.Count == 0 ? 0 : parsed.Keys.Max()));
        }
        catch (MasterKeyException e)
        {
            throw new MasterKeyException($"{source}: {e.Message}");
        }
    }

    public static MasterKeyRing ReadFile(string path)
    {
        KeyFile? file;
        try
        {
            file = JsonSerializer.Deserialize<KeyFile>(File.ReadAllText(path));
        }
        catch (JsonException)
        {
            throw new MasterKeyException($"Master key file {path} is not valid JSON.");
        }

        if (file?.Keys is null)
        {
            throw new MasterKeyException($"Master key file {path} has no \"keys\".");
        }

        return FromStrings(file.Keys, file.ActiveVersion, $"Master key file {path}");
    }

    /// <summary>The same keys plus a fresh version after the highest, which becomes active.</summary>
    public MasterKeyRing WithNewActiveVersion()
    {
        var keys = _keys.ToDictionary(k => k.Key, k => k.Value);
        var version = keys.Keys.Max() + 1;
        keys[version] = RandomNumberGenerator.GetBytes(32);
        return new MasterKeyRing(keys, version);
    }

    /// <summary>The same keys without <paramref name="version"/>, which must not be the active one.</summary>
    public MasterKeyRing Without(int version)
    {
        if (version == ActiveVersion)
        {
            throw new MasterKeyException($"Version {version} is the active master key and cannot be retired.");
        }

        return new MasterKeyRing(_keys.Where(k => k.Key != version).ToDictionary(k => k.Key, k => k.Value), ActiveVersion);
    }

    /// <summary>
    /// Replaces the key file with this ring: written beside it (owner-only) and renamed over it,
    /// so a reader sees the old file or the new one, never half of one.
    /// </summary>
    public void ReplaceFile(string path)
    {
        var temporary = path + ".new";
        File.Delete(temporary);
        WriteNewFile(temporary);
        File.Move(temporary, path, overwrite: true);
    }

    /// <summary>Writes the ring to a new file readable by its owner only; never overwrites.</summary>
    public void WriteNewFile(string path)
    {
        var json = JsonSerializer.Serialize(
            new KeyFile(ActiveVersion, _keys.ToDictionary(k => k.Key.ToString(CultureInfo.InvariantCulture), k => Convert.ToBase64String(k.Value))),
            new JsonSerializerOptions { WriteIndented = true });
        var options = new FileStreamOptions { Mode = FileMode.CreateNew, Access = FileAccess.Write };
        if (!OperatingSystem.IsWindows())
        {
            options.UnixCreateMode = UnixFileMode.UserRead | UnixFileMode.UserWrite;
        }

        using var stream = new FileStream(path, options);
        using var writer = new StreamWriter(stream);
        writer.Write(json);
    }

    private sealed record KeyFile(
        [property: JsonPropertyName("activeVersion")] int? ActiveVersion,
        [property: JsonPropertyName("keys")] Dictionary<string, string>? Keys);
}
