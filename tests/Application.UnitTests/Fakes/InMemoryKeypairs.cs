using LocalKeyManager.Domain.Keys;
using NodaTime;

namespace LocalKeyManager.Application.UnitTests.Fakes;

internal sealed class InMemoryKeypairs : IKeypairRepository
{
    public Dictionary<KeypairId, Keypair> Stored { get; } = [];

    private readonly HashSet<KeypairId> _destroyed = [];

    public int Updates { get; private set; }

    public Task<bool> TryAddAsync(Keypair keypair, CancellationToken cancellationToken) =>
        Task.FromResult(Stored.TryAdd(keypair.Id, keypair));

    /// <summary>A copy of what is stored, as a database read gives: changing it changes nothing stored.</summary>
    public Task<Keypair?> FindAsync(KeypairId id, CancellationToken cancellationToken) =>
        Task.FromResult(Stored.GetValueOrDefault(id) is { } k ? Keypair.Restore(k.Id, k.PublicKey, k.PrivateKey, k.CreatedAt, k.State, k.DestroyAt) : null);

    public Task<Keypair?> FindRecentAsync(KeypairId id, CancellationToken cancellationToken) => FindAsync(id, cancellationToken);

    public Task<IReadOnlyList<Keypair>> ListAsync(CancellationToken cancellationToken) =>
        Task.FromResult<IReadOnlyList<Keypair>>(Stored.Values.OrderByDescending(k => k.CreatedAt).ToList());

    public Task<IReadOnlyList<PublicKeypair>> ListPublicAsync(CancellationToken cancellationToken) =>
        Task.FromResult<IReadOnlyList<PublicKeypair>>(Stored.Values.OrderByDescending(k => k.CreatedAt)
            .Select(k => new PublicKeypair(k.Id, k.PublicKey, k.CreatedAt, k.State, k.DestroyAt)).ToList());

    /// <summary>Set to make the next lifecycle update find the keypair changed since it was read.</summary>
    public bool ChangedMeanwhile { get; set; }

    /// <summary>Another administrator's change, made to the stored keypair just before the next lifecycle update.</summary>
    public Action<Keypair>? ChangeMeanwhile { get; set; }

    public Task<bool> TryUpdateLifecycleAsync(Keypair keypair, KeyState fromState, Instant? fromDestroyAt, CancellationToken cancellationToken)
    {
        if (ChangeMeanwhile is { } change)
        {
            ChangeMeanwhile = null;
            change(Stored[keypair.Id]);
        }

        var stored = Stored[keypair.Id];
        if (ChangedMeanwhile || stored.State != fromState || stored.DestroyAt != fromDestroyAt)
        {
            return Task.FromResult(false);
        }

        Updates++;
        Stored[keypair.Id] = keypair;
        return Task.FromResult(true);
    }

    /// <summary>The request-log records committed with destructions.</summary>
    public List<Domain.Audit.RequestLogEntry> DestructionRecords { get; } = [];

    public Task<bool> TryDestroyAsync(Keypair keypair, Instant due, Domain.Audit.RequestLogEntry record, CancellationToken cancellationToken)
    {
        // The stored keypair is the instance the caller destroyed: the first call wins, as the
        // database's conditional update decides.
        Stored[keypair.Id] = keypair;
        if (!_destroyed.Add(keypair.Id))
        {
            return Task.FromResult(false);
        }

        DestructionRecords.Add(record);
        return Task.FromResult(true);
    }

    public Task<IReadOnlyList<Keypair>> ListDueForDestructionAsync(Instant now, CancellationToken cancellationToken) =>
        Task.FromResult<IReadOnlyList<Keypair>>(Stored.Values.Where(k => k.State == KeyState.PendingDestruction && k.DestroyAt <= now).ToList());
}
