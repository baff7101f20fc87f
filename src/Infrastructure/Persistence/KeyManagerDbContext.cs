using LocalKeyManager.Domain.Audit;
using Microsoft.EntityFrameworkCore;

namespace LocalKeyManager.Infrastructure.Persistence;

/// <summary>
/// The one model of the schema. Each database provider derives a small context of its own
/// (type conventions, migrations), so each owns its migrations set.
/// </summary>
public abstract class KeyManagerDbContext(DbContextOptions options) : DbContext(options)
{
    public DbSet<KeypairRow> Keypairs => Set<KeypairRow>();

    public DbSet<CredentialRow> Credentials => Set<CredentialRow>();

    public DbSet<NonceRow> Nonces => Set<NonceRow>();

    public DbSet<RequestLogEntry> RequestLog => Set<RequestLogEntry>();

    public DbSet<AuditChain.ChainHeadRow> ChainHead => Set<AuditChain.ChainHeadRow>();

    protected override void OnModelCreating(ModelBuilder modelBuilder)
    {
        modelBuilder.ApplyConfigurationsFromAssembly(typeof(KeyManagerDbContext).Assembly);
    }
}
