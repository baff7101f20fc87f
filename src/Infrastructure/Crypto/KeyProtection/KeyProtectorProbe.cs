using System.Security.Cryptography;
using LocalKeyManager.Domain.Crypto;

namespace LocalKeyManager.Infrastructure.Crypto.KeyProtection;

/// <summary>Wraps and unwraps a throwaway value: the one proof that a key protector works now.</summary>
public static class KeyProtectorProbe
{
    /// <summary>Null when the round trip gives back what was wrapped; else why not (no secrets). Never throws.</summary>
    public static string? Fails(IKeyProtector protector, string context)
    {
        Span<byte> probe = stackalloc byte[32];
        RandomNumberGenerator.Fill(probe);
        try
        {
            var wrapped = protector.Wrap(probe, context);
            var back = new byte[protector.MaxPlaintextLength(wrapped)];
            var length = protector.Unwrap(wrapped, context, back);
            return back.AsSpan(0, length).SequenceEqual(probe) ? null : "it did not give back what it wrapped";
        }
        catch (Exception e)
        {
            // Whatever the provider throws (an HSM's own exceptions too).
            return e.Message;
        }
    }
}
