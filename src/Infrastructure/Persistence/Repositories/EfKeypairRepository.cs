using LocalKeyManager.Domain.Crypto;
using LocalKeyManager.Domain.Keys;
using Microsoft.EntityFrameworkCore;

namespace LocalKeyManager.Infrastructure.Persistence.Repositories;

internal sealed class EfKeypairRepository(KeyManagerDbContext db) : IKeypairRepository
{
    public async Task AddAsync(Keypair keypair, CancellationToken cancellationToken)
    {
        db.Keypairs.Add(new KeypairRow
        {
            Id = keypair.Id.Value,
            PublicKey = keypair.PublicKey,
            WrappedPrivateKey = keypair.PrivateKey.Blob,
            KekId = keypair.PrivateKey.KekId,
            CreatedAt = keypair.CreatedAt,
            State = (int)keypair.State,
        });
        await db.SaveChangesAsync(cancellationToken);
        db.ChangeTracker.Clear();
    }

    public async Task<Keypair?> FindAsync(KeypairId id, CancellationToken cancellationToken)
    {
        var row = await db.Keypairs.AsNoTracking().SingleOrDefaultAsync(k => k.Id == id.Value, cancellationToken);
        return row is null ? null : ToDomain(row);
    }

    public async Task<IReadOnlyList<Keypair>> ListAsync(CancellationToken cancellationToken)
    {
        var rows = await db.Keypairs.AsNoTracking().OrderByDescending(k => k.CreatedAt).ThenByDescending(k => k.Id).ToListAsync(cancellationToken);
        return rows.Select(ToDomain).ToList();
    }

    private static Keypair ToDomain(KeypairRow row) =>
        Keypair.Restore(new KeypairId(row.Id), row.PublicKey, new WrappedKey(row.KekId, row.WrappedPrivateKey), row.CreatedAt, (KeyState)row.State);
}
