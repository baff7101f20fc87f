namespace LocalKeyManager.Infrastructure.Crypto.KeyProtection;

/// <summary>
/// Configuration section <c>KeyProtection</c>. What can be checked without the database or the
/// HSM is checked at start-up, before anything is created.
/// </summary>
public sealed class KeyProtectionOptions : System.ComponentModel.DataAnnotations.IValidatableObject
{
    public const string Section = "KeyProtection";

    /// <summary><c>Local</c>: master keys from configuration or a key file; <c>Pkcs11</c>: an AES key in an HSM.</summary>
    public string Provider { get; set; } = "Local";

    public LocalMasterKeyOptions Local { get; set; } = new();

    public Pkcs11Options Pkcs11 { get; set; } = new();

    public bool IsPkcs11 => string.Equals(Provider, "Pkcs11", StringComparison.OrdinalIgnoreCase);

    public IEnumerable<System.ComponentModel.DataAnnotations.ValidationResult> Validate(System.ComponentModel.DataAnnotations.ValidationContext validationContext)
    {
        if (!IsPkcs11 && !string.Equals(Provider, "Local", StringComparison.OrdinalIgnoreCase))
        {
            yield return new($"KeyProtection:Provider '{Provider}' is not supported; use Local or Pkcs11.");
        }
        else if (!IsPkcs11 && Local.ActiveVersion is { } version && Local.Keys.Count == 0 && Local.KeyFile is null)
        {
            // Most likely the keys' own setting was misspelt: a new key file now would be a new master key.
            yield return new($"KeyProtection:Local:ActiveVersion is {version} but no KeyProtection:Local:Keys:<n> is configured. Set the keys too, or remove ActiveVersion to use a key file.");
        }
        else if (!IsPkcs11 && Local.Keys.Count > 0 && KeysProblem() is { } problem)
        {
            yield return new(problem);
        }
    }

    private string? KeysProblem()
    {
        try
        {
            MasterKeyRing.FromStrings(Local.Keys, Local.ActiveVersion, "KeyProtection:Local:Keys");
            return null;
        }
        catch (MasterKeyException e)
        {
            return e.Message;
        }
    }
}

/// <summary>
/// <c>KeyProtection:Pkcs11</c>: the PKCS#11 module, the token (by label), the user PIN, the
/// label of the AES-256 key in the token that wraps every stored key, and the labels of earlier
/// keys that still unwrap what they wrapped until <c>master-key rotate</c> has re-wrapped it.
/// The keys are created with the HSM's own tools (docs/operations.md); LKM never sees their value.
/// </summary>
public sealed class Pkcs11Options
{
    public string? ModulePath { get; set; }

    public string? TokenLabel { get; set; }

    /// <summary>The user PIN. Prefer an environment variable (<c>KeyProtection__Pkcs11__Pin</c>) to a file.</summary>
    public string? Pin { get; set; }

    public string KeyLabel { get; set; } = "lkm-master";

    /// <summary>Earlier wrapping keys, used to unwrap only (a rotation in progress).</summary>
    public List<string> PreviousKeyLabels { get; set; } = [];
}

/// <summary>
/// <c>KeyProtection:Local</c>. Either <see cref="Keys"/> (version → base64 of 32 bytes) with
/// <see cref="ActiveVersion"/>, or a key file in the same shape. With neither, the embedded
/// default keeps <c>lkm.masterkey.json</c> beside the SQLite database.
/// </summary>
public sealed class LocalMasterKeyOptions
{
    /// <summary>The key file's path; empty (<c>KeyProtection__Local__KeyFile=</c>) is unset, the default beside the database.</summary>
    public string? KeyFile { get => field; set => field = string.IsNullOrWhiteSpace(value) ? null : value; }

    public int? ActiveVersion { get; set; }

    public Dictionary<string, string> Keys { get; set; } = [];
}
