namespace LocalKeyManager.Api.Authentication;

public static class HawkDefaults
{
    public const string Scheme = "Hawk";

    /// <summary>Policy: any credential that may call the Genesys endpoints (genesys or admin).</summary>
    public const string GenesysPolicy = "genesys";

    /// <summary>Policy: admin credentials only.</summary>
    public const string AdminPolicy = "admin";
}
