namespace LocalKeyManager.Domain.Credentials;

/// <summary>The HMAC hash a Hawk credential signs with (the names are Hawk's wire names).</summary>
public enum HawkAlgorithm
{
    Sha256 = 0,
    Sha1 = 1,
}
