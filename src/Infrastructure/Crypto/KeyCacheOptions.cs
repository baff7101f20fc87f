using System.ComponentModel.DataAnnotations;

namespace LocalKeyManager.Infrastructure.Crypto;

/// <summary>Configuration section <c>KeyCache</c>.</summary>
public sealed class KeyCacheOptions
{
    public const string Section = "KeyCache";

    /// <summary>How many keypairs keep parsed private keys in memory.</summary>
    [Range(1, 1_000_000, ErrorMessage = "KeyCache:MaxKeypairs must be 1 to 1000000.")]
    public int MaxKeypairs { get; set; } = 1024;
}
