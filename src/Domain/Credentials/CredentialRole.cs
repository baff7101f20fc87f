namespace LocalKeyManager.Domain.Credentials;

/// <summary>
/// What a Hawk credential may do. <see cref="Genesys"/>: decrypt and keypair create/list/get;
/// <see cref="Admin"/>: everything, including credentials and the request log.
/// </summary>
public enum CredentialRole
{
    Genesys = 0,
    Admin = 1,
}
