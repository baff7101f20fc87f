using LocalKeyManager.Domain.Credentials;

namespace LocalKeyManager.Application.Credentials;

/// <summary>The wire names of the roles: <c>genesys</c> and <c>admin</c>.</summary>
public static class CredentialRoles
{
    public const string Genesys = "genesys";
    public const string Admin = "admin";

    public static bool IsValid(string? value) =>
        string.IsNullOrEmpty(value) || Is(value, Genesys) || Is(value, Admin);

    /// <summary>Absent means <c>genesys</c>: the least privilege.</summary>
    public static CredentialRole Parse(string? value) =>
        value is not null && Is(value, Admin) ? CredentialRole.Admin : CredentialRole.Genesys;

    public static string ToWire(CredentialRole role) => role == CredentialRole.Admin ? Admin : Genesys;

    /// <summary>Exactly as written (API.md: <c>"role": "admin"</c>); <c>Admin</c> is refused, not read as either.</summary>
    private static bool Is(string value, string name) => string.Equals(value, name, StringComparison.Ordinal);
}
