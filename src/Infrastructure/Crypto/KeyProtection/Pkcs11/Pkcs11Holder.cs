using Net.Pkcs11Interop.HighLevelAPI;

namespace LocalKeyManager.Infrastructure.Crypto.KeyProtection.Pkcs11;

/// <summary>The opened token and the handle of the wrapping key, set once at start-up.</summary>
public sealed class Pkcs11Holder : IDisposable
{
    private (Pkcs11Token Token, string Label, IObjectHandle Key)? _current;

    public (Pkcs11Token Token, string Label, IObjectHandle Key) Current =>
        _current ?? throw new InvalidOperationException("The HSM key has not been opened; start-up did not run.");

    public void Open(Pkcs11Options options)
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
        var key = token.Use(session => token.FindSecretKey(session, options.KeyLabel));
        if (key is null)
        {
            token.Dispose();
            throw new MasterKeyException($"The PKCS#11 token '{options.TokenLabel}' has no secret key labelled '{options.KeyLabel}'. Create an AES-256 key with that label first.");
        }

        _current = (token, options.KeyLabel, key);
    }

    public void Dispose() => _current?.Token.Dispose();
}
