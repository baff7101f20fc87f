using LocalKeyManager.Domain.Credentials;

namespace LocalKeyManager.Application.Credentials;

/// <summary>The wire names of Hawk's algorithms: <c>sha256</c> (the default) and <c>sha1</c> (API.md §2).</summary>
public static class HawkAlgorithms
{
    public const string Sha256 = "sha256";
    public const string Sha1 = "sha1";

    public static bool IsValid(string? value) =>
        string.IsNullOrEmpty(value) || Is(value, Sha256) || Is(value, Sha1);

    /// <summary>Absent means <c>sha256</c>.</summary>
    public static HawkAlgorithm Parse(string? value) =>
        value is not null && Is(value, Sha1) ? HawkAlgorithm.Sha1 : HawkAlgorithm.Sha256;

    public static string ToWire(HawkAlgorithm algorithm) => algorithm == HawkAlgorithm.Sha1 ? Sha1 : Sha256;

    /// <summary>Exactly as Hawk writes them (the reference client's names are lowercase).</summary>
    private static bool Is(string value, string name) => string.Equals(value, name, StringComparison.Ordinal);
}
