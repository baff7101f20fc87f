using System.Globalization;
using System.Security.Cryptography;
using LocalKeyManager.Domain.Credentials;
using LocalKeyManager.Domain.Crypto;
using Microsoft.Extensions.Options;
using NodaTime;

namespace LocalKeyManager.Infrastructure.Hawk;

/// <summary>
/// Authenticates a request with Hawk: header syntax, credential, MAC (fixed time), payload hash,
/// timestamp window, and replay (in the shared database, so across every instance). Unknown,
/// revoked and wrong-MAC requests read the same to the caller.
/// </summary>
public sealed class HawkAuthenticator(
    ICredentialRepository credentials,
    IKeyProtector protector,
    IReplayGuard replayGuard,
    IClock clock,
    IOptions<HawkOptions> options,
    FailedMacTracker lockout)
{
    private const string BadMac = "Bad mac";

    /// <summary>The answer to a nonce used before, wherever the replay is found.</summary>
    public static readonly HawkFailure Replay = HawkFailure.Unauthorized("Invalid nonce", HawkFailureReason.Replay);
    private static readonly byte[] DecoyKey = RandomNumberGenerator.GetBytes(43);

    /// <summary>
    /// Returns the authentication, or null with <paramref name="failure"/> set.
    /// <paramref name="readBody"/> is called only when a payload hash must be checked.
    /// With <paramref name="deferReplayCheck"/>, everything but the replay check is done here and
    /// the nonce is returned in <see cref="HawkAuthentication.UnrecordedNonce"/>: the caller must
    /// record it together with the request's log entry, and answer 401 if it was not the first use.
    /// Only for requests whose handling changes nothing but the request log (decrypt).
    /// </summary>
    public async Task<(HawkAuthentication? Success, HawkFailure? Failure)> AuthenticateAsync(
        HawkRequest request,
        Func<CancellationToken, Task<ReadOnlyMemory<byte>>> readBody,
        CancellationToken cancellationToken,
        bool deferReplayCheck = false)
    {
        var now = clock.GetCurrentInstant();
        var header = HawkHeaderParser.Parse(request.Authorization, out var syntaxFailure);
        if (header is null)
        {
            return (null, syntaxFailure);
        }

        var artifacts = new HawkCrypto.Artifacts(header.Ts, header.Nonce, request.Method, request.Resource, request.Host, request.Port, header.App, header.Dlg);
        var credential = CredentialId.IsValid(header.Id) ? await credentials.FindRecentAsync(header.Id, cancellationToken) : null;
        if (credential is null || credential.IsRevoked)
        {
            // Spend the same work as a real check, so timing does not tell ids apart either.
            HawkCrypto.MacEquals(HawkCrypto.Mac(HawkAlgorithm.Sha256, DecoyKey, HawkCrypto.HeaderType, artifacts, header.Hash, header.Ext), header.Mac);
            return (null, HawkFailure.Unauthorized(BadMac, credential is null ? HawkFailureReason.UnknownId : HawkFailureReason.Revoked));
        }

        var nowMs = now.ToUnixTimeMilliseconds();
        if (lockout.IsLockedOut(credential.Id, nowMs))
        {
            // Locked out: the same answer as a bad MAC, whatever the MAC.
            return (null, HawkFailure.Unauthorized(BadMac, HawkFailureReason.LockedOut));
        }

        var key = UnwrapKey(credential);
        var authenticated = false;
        try
        {
            var (failure, unrecorded) = await CheckAsync(request, readBody, header, artifacts, credential.Algorithm, key, now, deferReplayCheck, cancellationToken);
            if (failure is not null)
            {
                if (failure.Reason == HawkFailureReason.BadMac)
                {
                    lockout.RecordFailure(credential.Id, nowMs);
                }

                return (null, failure);
            }

            authenticated = true;
            return (new HawkAuthentication(credential.Id, credential.Role, credential.Algorithm, artifacts, key, unrecorded), null);
        }
        finally
        {
            if (!authenticated)
            {
                CryptographicOperations.ZeroMemory(key);
            }
        }
    }

    private async Task<(HawkFailure? Failure, NonceUse? Unrecorded)> CheckAsync(
        HawkRequest request,
        Func<CancellationToken, Task<ReadOnlyMemory<byte>>> readBody,
        HawkHeader header,
        HawkCrypto.Artifacts artifacts,
        HawkAlgorithm algorithm,
        byte[] key,
        Instant now,
        bool deferReplayCheck,
        CancellationToken cancellationToken)
    {
        var expected = HawkCrypto.Mac(algorithm, key, HawkCrypto.HeaderType, artifacts, header.Hash, header.Ext);
        if (!HawkCrypto.MacEquals(expected, header.Mac))
        {
            return (HawkFailure.Unauthorized(BadMac, HawkFailureReason.BadMac), null);
        }

        if (header.Hash is not null)
        {
            var body = await readBody(cancellationToken);
            var actual = HawkCrypto.PayloadHash(algorithm, body.Span, request.ContentType);
            if (!HawkCrypto.MacEquals(actual, header.Hash))
            {
                return (HawkFailure.Unauthorized("Bad payload hash", HawkFailureReason.BadPayloadHash), null);
            }
        }
        else if (options.Value.RequirePayloadHash && request.HasBody)
        {
            return (HawkFailure.Unauthorized("Missing required payload hash", HawkFailureReason.MissingPayloadHash), null);
        }

        // A timestamp that is not a whole number of seconds is as unusable as a stale one; the
        // answer tells the client the server's time either way. Compared in milliseconds, as the
        // reference does: a ts exactly the skew behind is stale once the current second has begun.
        var nowSeconds = now.ToUnixTimeSeconds();
        if (!TryReadSeconds(header.Ts, out var ts) ||
            Int128.Abs((Int128)ts * 1000 - now.ToUnixTimeMilliseconds()) > options.Value.TimestampSkewSeconds * 1000L)
        {
            var tsm = HawkCrypto.TimestampMac(algorithm, key, nowSeconds);
            return (new HawkFailure(
                HawkFailureKind.Unauthorized,
                "Stale timestamp",
                HawkFailureReason.Stale,
                $"Hawk ts=\"{nowSeconds.ToString(CultureInfo.InvariantCulture)}\", tsm=\"{tsm}\", error=\"Stale timestamp\""), null);
        }

        if (deferReplayCheck)
        {
            return (null, new NonceUse(header.Id, header.Nonce, ts, now));
        }

        if (!await replayGuard.TryRecordAsync(header.Id, header.Nonce, ts, now, cancellationToken))
        {
            return (Replay, null);
        }

        return (null, null);
    }

    private byte[] UnwrapKey(HawkCredential credential)
    {
        var buffer = new byte[protector.MaxPlaintextLength(credential.Key)];
        var length = protector.Unwrap(credential.Key, HawkCredential.WrappingContext(credential.Id), buffer);
        if (length == buffer.Length)
        {
            return buffer;
        }

        var key = buffer[..length];
        CryptographicOperations.ZeroMemory(buffer);
        return key;
    }

    /// <summary>
    /// The <c>ts</c> attribute read as the reference reads it, with JavaScript's number conversion
    /// (<c>ts * 1000</c>): spaces around it, a sign, a fraction or exponent that still make a whole
    /// number, and <c>0x</c>/<c>0o</c>/<c>0b</c> forms. False for what is not a whole number of
    /// seconds: a fraction, <c>Infinity</c>, and text that is not a number at all, which the
    /// reference turns into NaN and then never finds stale (a request that never expires); here
    /// it is stale.
    /// </summary>
    internal static bool TryReadSeconds(string text, out long seconds)
    {
        seconds = 0;
        var s = text.AsSpan().Trim();
        if (s.Length > 2 && s[0] == '0' && char.ToLowerInvariant(s[1]) is 'x' or 'o' or 'b')
        {
            var radix = char.ToLowerInvariant(s[1]) switch { 'x' => 16, 'o' => 8, _ => 2 };
            ulong value = 0;
            foreach (var c in s[2..])
            {
                var digit = char.IsAsciiDigit(c) ? c - '0' : char.IsAsciiLetter(c) ? char.ToLowerInvariant(c) - 'a' + 10 : radix;
                if (digit >= radix || value > (long.MaxValue - (ulong)digit) / (ulong)radix)
                {
                    return false;
                }

                value = (value * (ulong)radix) + (ulong)digit;
            }

            seconds = (long)value;
            return true;
        }

        if (!decimal.TryParse(s, NumberStyles.AllowLeadingSign | NumberStyles.AllowDecimalPoint | NumberStyles.AllowExponent, CultureInfo.InvariantCulture, out var number) ||
            number != decimal.Truncate(number) || number < long.MinValue || number > long.MaxValue)
        {
            return false;
        }

        seconds = (long)number;
        return true;
    }
}
