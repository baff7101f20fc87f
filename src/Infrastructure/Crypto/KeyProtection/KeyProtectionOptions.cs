namespace LocalKeyManager.Infrastructure.Crypto.KeyProtection;

/// <summary>Configuration section <c>KeyProtection</c>.</summary>
public sealed class KeyProtectionOptions
{
    public const string Section = "KeyProtection";

    /// <summary><c>Local</c>: master keys from configuration or a key file.</summary>
    public string Provider { get; set; } = "Local";

    public LocalMasterKeyOptions Local { get; set; } = new();
}

/// <summary>
/// <c>KeyProtection:Local</c>. Either <see cref="Keys"/> (version → base64 of 32 bytes) with
/// <see cref="ActiveVersion"/>, or a key file in the same shape. With neither, the embedded
/// default keeps <c>lkm.masterkey.json</c> beside the SQLite database.
/// </summary>
public sealed class LocalMasterKeyOptions
{
    public string? KeyFile { get; set; }

    public int? ActiveVersion { get; set; }

    public Dictionary<string, string> Keys { get; set; } = [];
}
