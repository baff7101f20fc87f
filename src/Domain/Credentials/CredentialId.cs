using System.Buffers;

namespace LocalKeyManager.Domain.Credentials;

/// <summary>A Hawk credential id: 6..128 characters of <c>[A-Za-z0-9._-]</c>.</summary>
public static class CredentialId
{
    public const int MinLength = 6;
    public const int MaxLength = 128;

    private static readonly SearchValues<char> Allowed =
        SearchValues.Create("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789._-");

    public static bool IsValid(string? id) =>
        id is { Length: >= MinLength and <= MaxLength } && !id.AsSpan().ContainsAnyExcept(Allowed);
}
