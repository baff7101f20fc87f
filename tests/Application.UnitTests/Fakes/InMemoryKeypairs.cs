using LocalKeyManager.Domain.Keys;

namespace LocalKeyManager.Application.UnitTests.Fakes;

internal sealed class InMemoryKeypairs : IKeypairRepository
{
    public Dictionary<KeypairId, Keypair> Stored { get; } = [];

    public Task AddAsync(Keypair keypair, CancellationToken cancellationToken)
    {
        Stored.Add(keypair.Id, keypair);
        return Task.CompletedTask;
    }

    public Task<Keypair?> FindAsync(KeypairId id, CancellationToken cancellationToken) =>
        Task.FromResult(Stored.GetValueOrDefault(id));

    public Task<IReadOnlyList<Keypair>> ListAsync(CancellationToken cancellationToken) =>
        Task.FromResult<IReadOnlyList<Keypair>>(Stored.Values.OrderByDescending(k => k.CreatedAt).ToList());
}
