using LocalKeyManager.Application.Errors;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;
using Net.Pkcs11Interop.Common;
using Net.Pkcs11Interop.HighLevelAPI;

namespace LocalKeyManager.Infrastructure.Crypto.KeyProtection.Pkcs11;

/// <summary>
/// The opened token, the handle of the wrapping key, and the handles of the earlier keys that
/// still unwrap (<see cref="Pkcs11Options.PreviousKeyLabels"/>), opened at start-up, and opened
/// again after the token went away (<see cref="Reopen"/>): an HSM that was unplugged, restarted or
/// lost its network ends every session and login, and they do not come back by themselves.
/// </summary>
public sealed partial class Pkcs11Holder(ILogger<Pkcs11Holder>? logger = null) : IDisposable
{
    /// <summary>At most one attempt to open the token again per this time, however many requests fail.</summary>
    public static readonly TimeSpan ReopenInterval = TimeSpan.FromSeconds(2);

    private readonly ILogger _logger = logger ?? NullLogger<Pkcs11Holder>.Instance;
    private readonly Lock _reopen = new();
    private volatile Opened? _opened;
    private Pkcs11Options? _options;
    private long? _lastReopen;

    /// <summary>
    /// The token, the wrapping key's label and handle, and every key that unwraps, as one snapshot.
    /// While the token cannot be opened again, each call tries (at most every
    /// <see cref="ReopenInterval"/>) and otherwise is an <see cref="UnavailableException"/> (503).
    /// </summary>
    public Opened Current
    {
        get
        {
            if (_opened is { } opened)
            {
                return opened;
            }

            if (_options is null)
            {
                throw new InvalidOperationException("The HSM key has not been opened; start-up did not run.");
            }

            Reopen(null);
            return _opened ?? throw new UnavailableException("The HSM is not available: its token could not be opened again. Retry shortly.");
        }
    }

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

        var (opened, canLeave) = OpenToken(options);
        _options = options;
        _opened = opened;
        return canLeave;
    }

    /// <summary>
    /// True for the failures that say the token, its sessions or its login are gone (rather than
    /// that a blob does not unwrap): the token has to be opened again.
    /// </summary>
    public static bool MeansTokenGone(CKR rv) => rv is CKR.CKR_SESSION_HANDLE_INVALID or CKR.CKR_SESSION_CLOSED
        or CKR.CKR_OBJECT_HANDLE_INVALID or CKR.CKR_KEY_HANDLE_INVALID or CKR.CKR_DEVICE_REMOVED or CKR.CKR_DEVICE_ERROR
        or CKR.CKR_TOKEN_NOT_PRESENT or CKR.CKR_TOKEN_NOT_RECOGNIZED or CKR.CKR_USER_NOT_LOGGED_IN or CKR.CKR_CRYPTOKI_NOT_INITIALIZED
        or CKR.CKR_SLOT_ID_INVALID;

    /// <summary>
    /// Closes the token and opens it again with the start-up settings, at most once per
    /// <see cref="ReopenInterval"/>; true when a fresh token is in place. The module is finalised
    /// first (a module such as SoftHSM2 reads its tokens only when initialised), so operations
    /// under way on the old token fail, as they would have anyway.
    /// </summary>
    public bool Reopen(CKR? cause)
    {
        lock (_reopen)
        {
            var now = Environment.TickCount64;
            if (_options is null || now - _lastReopen < (long)ReopenInterval.TotalMilliseconds)
            {
                return false;
            }

            _lastReopen = now;
            if (_opened is { } old)
            {
                LogReopening(_logger, cause?.ToString() ?? "an error");
                _opened = null;
                old.Token.Dispose();
            }

            try
            {
                _opened = OpenToken(_options).Opened;
                LogReopened(_logger);
                return true;
            }
            catch (Exception e) when (e is MasterKeyException or Pkcs11Exception)
            {
                LogReopenFailed(_logger, e.Message);
                return false;
            }
        }
    }

    public void Dispose() => _opened?.Token.Dispose();

    private static (Opened Opened, List<string> CanLeave) OpenToken(Pkcs11Options options)
    {
        var token = Pkcs11Token.Open(options.ModulePath!, options.TokenLabel!, options.Pin!);
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

        return (new Opened(token, options.KeyLabel, byLabel[options.KeyLabel], byLabel), canLeave);
    }

    [LoggerMessage(Level = LogLevel.Error, Message = "The HSM failed with {Cause}: opening the token again")]
    private static partial void LogReopening(ILogger logger, string cause);

    [LoggerMessage(Level = LogLevel.Warning, Message = "The HSM token is open again")]
    private static partial void LogReopened(ILogger logger);

    [LoggerMessage(Level = LogLevel.Error, Message = "The HSM token could not be opened again: {Reason}. Requests that need it answer 503; the next one tries again")]
    private static partial void LogReopenFailed(ILogger logger, string reason);

    /// <summary>One opening of the token: its wrapping key and every key that unwraps, by label.</summary>
    public sealed record Opened(Pkcs11Token Token, string Label, IObjectHandle Key, IReadOnlyDictionary<string, IObjectHandle> ByLabel)
    {
        /// <summary>The key with <paramref name="label"/>, if it is the wrapping key or a configured earlier one.</summary>
        public IObjectHandle? Find(string label) => ByLabel.GetValueOrDefault(label);
    }
}
