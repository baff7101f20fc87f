using Net.Pkcs11Interop.HighLevelAPI;

namespace LocalKeyManager.Infrastructure.Crypto.KeyProtection.Pkcs11;

/// <summary>
/// The opened token, the handle of the wrapping key, and the handles of the earlier keys that
/// still unwrap (<see cref="Pkcs11Options.PreviousKeyLabels"/>), set once at start-up.
/// </summary>
public sealed class Pkcs11Holder : IDisposable
{
    private (Pkcs11Token Token, string Label, IObjectHandle Key)? _current;
    private Dictionary<string, IObjectHandle> _byLabel = [];

    public (Pkcs11Token Token, string Label, IObjectHandle Key) Current =>
        _current ?? throw new InvalidOperationException("The HSM key has not been opened; start-up did not run.");

    /// <summary>The key with <paramref name="label"/>, if it is the wrapping key or a configured earlier one.</summary>
    public IObjectHandle? Find(string label) => _byLabel.GetValueOrDefault(label);

    /// <summary>Opens the token and its keys; returns the labels of those the token would let out (extractable or not sensitive).</summary>
    public IReadOnlyList<string> Open(Pkcs11Options options)
    {
        if (string.IsNullOrWhiteSpace(options.ModulePath) || string.IsNullOrWhiteSpace(options.TokenLabel) || string.IsNullOrEmpty(options.Pin))
        {
            throw new MasterKeyException("KeyProtection:Provider=Pkcs11 needs KeyProtection:Pkcs11:ModulePath, TokenLabel and Pin.");
        }

        if (!File.Exists(options.ModulePath))
        {
            throw new MasterKeyException($"The PKCS#11 module {options.ModulePath} does not exist.");
        }

        var token = Pkcs11Token.Open(options.ModulePath, options.TokenLabel, options.Pin);
        var byLabel = new Dictionary<string, IObjectHandle>(StringComparer.Ordinal);
        var canLeave = new List<string>();
        try
        {
            foreach (var label in options.PreviousKeyLabels.Prepend(options.KeyLabel).Distinct(StringComparer.Ordinal))
            {
                var setting = label == options.KeyLabel ? "KeyLabel" : "PreviousKeyLabels";
                var key = token.Use(session => token.FindSecretKey(session, label))
                    ?? throw new MasterKeyException($"The PKCS#11 token '{options.TokenLabel}' has no secret key labelled '{label}' (KeyProtection:Pkcs11:{setting}). Create an AES-256 key with that label first (docs/operations.md).");
                if (token.Use(session => token.DescribeIfNotAes256(session, key)) is { } what)
                {
                    throw new MasterKeyException($"The PKCS#11 key '{label}' (KeyProtection:Pkcs11:{setting}) is {what}, not an AES key of 32 bytes: LKM wraps with AES-256-GCM.");
                }

                byLabel[label] = key;
                if (token.Use(session => Pkcs11Token.CanLeaveToken(session, key)))
                {
                    canLeave.Add(label);
                }
            }
        }
        catch
        {
            token.Dispose();
            throw;
        }

        _byLabel = byLabel;
        _current = (token, options.KeyLabel, byLabel[options.KeyLabel]);
        return canLeave;
    }

    public void Dispose() => _current?.Token.Dispose();
}
