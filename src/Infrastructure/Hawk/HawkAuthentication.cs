using System.Security.Cryptography;
using LocalKeyManager.Domain.Credentials;

namespace LocalKeyManager.Infrastructure.Hawk;

/// <summary>
/// A request that authenticated. Holds the credential key (needed to sign the response) until
/// disposed, when the key is zeroed.
/// </summary>
public sealed class HawkAuthentication : IDisposable
{
    private readonly byte[] _key;

    internal HawkAuthentication(string credentialId, CredentialRole role, HawkAlgorithm algorithm, HawkCrypto.Artifacts artifacts, byte[] key, NonceUse? unrecordedNonce = null)
    {
        UnrecordedNonce = unrecordedNonce;
        CredentialId = credentialId;
        Role = role;
        Algorithm = algorithm;
        Artifacts = artifacts;
        _key = key;
    }

    public string CredentialId { get; }

    public CredentialRole Role { get; }

    public HawkAlgorithm Algorithm { get; }

    public HawkCrypto.Artifacts Artifacts { get; }

    /// <summary>
    /// Set when the replay check was deferred (see <see cref="HawkAuthenticator.AuthenticateAsync"/>):
    /// the nonce use that must be recorded, as the first, with the request's log entry before
    /// anything is answered. Null when the nonce was recorded during authentication.
    /// </summary>
    public NonceUse? UnrecordedNonce { get; }

    /// <summary>An <see cref="UnrecordedNonce"/> whose outcome nobody has settled yet: nothing may be answered.</summary>
    public bool NonceOutstanding => UnrecordedNonce is not null && Volatile.Read(ref _nonceSettled) == 0;

    private int _nonceSettled;

    /// <summary>The <see cref="UnrecordedNonce"/> was recorded with the log entry, or the answer was replaced by a refusal.</summary>
    public void SettleNonce() => Volatile.Write(ref _nonceSettled, 1);

    /// <summary>The <c>Server-Authorization</c> value for a response with this body and content type.</summary>
    public string ServerAuthorization(ReadOnlySpan<byte> responseBody, string? contentType)
    {
        var hash = HawkCrypto.PayloadHash(Algorithm, responseBody, contentType);
        var mac = HawkCrypto.Mac(Algorithm, _key, HawkCrypto.ResponseType, Artifacts, hash, ext: null);
        return $"Hawk mac=\"{mac}\", hash=\"{hash}\"";
    }

    public void Dispose() => CryptographicOperations.ZeroMemory(_key);
}
