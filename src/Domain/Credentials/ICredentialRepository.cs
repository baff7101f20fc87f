namespace LocalKeyManager.Domain.Credentials;

public interface ICredentialRepository
{
    /// <summary>
    /// Stores a new credential. Returns false, storing nothing, when the id is taken; the check is
    /// the database's unique key, so two instances registering the same id at once cannot both win.
    /// </summary>
    Task<bool> TryAddAsync(HawkCredential credential, CancellationToken cancellationToken);

    Task<HawkCredential?> FindAsync(string id, CancellationToken cancellationToken);

    /// <summary>
    /// Like <see cref="FindAsync"/>, for authentication on every request: the answer may come from
    /// memory and be up to half a second old (a revocation reaches every instance within 1 s).
    /// </summary>
    Task<HawkCredential?> FindRecentAsync(string id, CancellationToken cancellationToken);

    /// <summary>All credentials, oldest first.</summary>
    Task<IReadOnlyList<HawkCredential>> ListAsync(CancellationToken cancellationToken);

    /// <summary>Commits the revocation of a credential loaded from this repository.</summary>
    Task SaveRevocationAsync(HawkCredential credential, CancellationToken cancellationToken);
}
