namespace LocalKeyManager.Application.Common;

/// <summary>
/// How a secret (a ciphertext, a plaintext, a private key, a credential key) appears when the
/// record holding it is printed: its length only. Records print every property by default, and a
/// log at Trace level prints MVC's action arguments and results that way.
/// </summary>
public static class Redacted
{
    public static string Text(string? secret) => secret is null ? "null" : $"[{secret.Length} characters, not shown]";

    public static string Bytes(byte[]? secret) => secret is null ? "null" : $"[{secret.Length} bytes, not shown]";
}
