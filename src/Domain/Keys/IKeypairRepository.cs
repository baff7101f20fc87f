namespace LocalKeyManager.Domain.Keys;

public interface IKeypairRepository
{
    /// <summary>Stores a new keypair; the write is committed when the task completes.</summary>
    Task AddAsync(Keypair keypair, CancellationToken cancellationToken);

    Task<Keypair?> FindAsync(KeypairId id, CancellationToken cancellationToken);

    /// <summary>All keypairs, newest first.</summary>
    Task<IReadOnlyList<Keypair>> ListAsync(CancellationToken cancellationToken);
}
