using NodaTime;

namespace LocalKeyManager.Domain.Keys;

public interface IKeypairRepository
{
    /// <summary>
    /// Stores a new keypair, committed when the task completes. Returns false, storing nothing,
    /// when the id exists (the database's primary key decides, not a read before the write).
    /// </summary>
    Task<bool> TryAddAsync(Keypair keypair, CancellationToken cancellationToken);

    Task<Keypair?> FindAsync(KeypairId id, CancellationToken cancellationToken);

    /// <summary>
    /// Like <see cref="FindAsync"/>, for the decrypt hot path: the answer may come from memory and
    /// be up to two seconds old (a disable reaches every instance well within the 5 s promised).
    /// </summary>
    Task<Keypair?> FindRecentAsync(KeypairId id, CancellationToken cancellationToken);

    /// <summary>All keypairs, newest first.</summary>
    Task<IReadOnlyList<Keypair>> ListAsync(CancellationToken cancellationToken);

    /// <summary>All keypairs without their private keys, newest first (what <c>GET /keypair</c> shows).</summary>
    Task<IReadOnlyList<PublicKeypair>> ListPublicAsync(CancellationToken cancellationToken);

    /// <summary>
    /// Commits a lifecycle change (state and destruction time) made to <paramref name="keypair"/>
    /// after it was read in <paramref name="fromState"/> with <paramref name="fromDestroyAt"/>.
    /// False, changing nothing, when the stored keypair is no longer so and not already as asked:
    /// another change or its destruction came in between, and writing over it would undo that
    /// (bring back a destroyed key's state, or drop a destruction just scheduled). Never writes the
    /// private key: that is the destruction's and the master-key rotation's alone.
    /// </summary>
    Task<bool> TryUpdateLifecycleAsync(Keypair keypair, KeyState fromState, NodaTime.Instant? fromDestroyAt, CancellationToken cancellationToken);

    /// <summary>
    /// Commits the destruction of <paramref name="keypair"/> (already destroyed in memory) and its
    /// request-log <paramref name="record"/> in one transaction, if the row is still pending
    /// destruction at <paramref name="due"/> (not cancelled and rescheduled meanwhile); then leaves
    /// no copy of the erased key where the database can help it. True when this call destroyed it;
    /// false when another instance did first, or the schedule changed.
    /// </summary>
    Task<bool> TryDestroyAsync(Keypair keypair, Instant due, Audit.RequestLogEntry record, CancellationToken cancellationToken);

    /// <summary>Keypairs pending destruction whose waiting period ended at or before <paramref name="now"/>.</summary>
    Task<IReadOnlyList<Keypair>> ListDueForDestructionAsync(Instant now, CancellationToken cancellationToken);
}
