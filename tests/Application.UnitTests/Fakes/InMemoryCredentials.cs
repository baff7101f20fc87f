using LocalKeyManager.Domain.Credentials;

namespace LocalKeyManager.Application.UnitTests.Fakes;

internal sealed class InMemoryCredentials : ICredentialRepository
{
    public Dictionary<string, HawkCredential> Stored { get; } = [];

    public int Saves { get; private set; }

    public Task<bool> TryAddAsync(HawkCredential credential, CancellationToken cancellationToken) =>
        Task.FromResult(Stored.TryAdd(credential.Id, credential));

    public Task<HawkCredential?> FindAsync(string id, CancellationToken cancellationToken) =>
        Task.FromResult(Stored.GetValueOrDefault(id));

    public Task<HawkCredential?> FindRecentAsync(string id, CancellationToken cancellationToken) => FindAsync(id, cancellationToken);

    public Task<IReadOnlyList<HawkCredential>> ListAsync(CancellationToken cancellationToken) =>
        Task.FromResult<IReadOnlyList<HawkCredential>>(Stored.Values.ToList());

    public Task SaveRevocationAsync(HawkCredential credential, CancellationToken cancellationToken)
    {
        Saves++;
        return Task.CompletedTask;
    }
}
