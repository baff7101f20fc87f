using LocalKeyManager.Domain.Crypto;

namespace LocalKeyManager.Application.Keys.Decrypt;

/// <summary>The wire names of the paddings: absent, null or empty is OAEP; <c>pkcs1</c> is PKCS#1 v1.5.</summary>
public static class DecryptTypes
{
    public const string Pkcs1 = "pkcs1";

    public static bool IsValid(string? value) => string.IsNullOrEmpty(value) || string.Equals(value, Pkcs1, StringComparison.Ordinal);

    public static RsaPadding Parse(string? value) => string.IsNullOrEmpty(value) ? RsaPadding.OaepSha1 : RsaPadding.Pkcs1;
}
