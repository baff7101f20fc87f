using LocalKeyManager.Application.Common;
using LocalKeyManager.Domain.Credentials;

namespace LocalKeyManager.Application.Credentials;

/// <summary>The wire names of the roles: <c>genesys</c> and <c>admin</c>; absent means <c>genesys</c>, the least privilege.</summary>
public static class CredentialRoles
{
    public const string Genesys = "genesys";
    public const string Admin = "admin";

    public static readonly WireNames<CredentialRole> Names = new(CredentialRole.Genesys, (CredentialRole.Genesys, Genesys), (CredentialRole.Admin, Admin));
}
