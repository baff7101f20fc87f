using Microsoft.EntityFrameworkCore;
using NodaTime;

namespace LocalKeyManager.Infrastructure.Persistence.SqlServer;

/// <summary>
/// The SQL Server flavour of the model: <c>datetime2</c> (UTC) for instants, <c>uniqueidentifier</c>,
/// <c>varbinary(max)</c>. Its migrations live in Migrations/SqlServer.
/// </summary>
public sealed class SqlServerKeyManagerDbContext(DbContextOptions<SqlServerKeyManagerDbContext> options) : KeyManagerDbContext(options)
{
    protected override void ConfigureConventions(ModelConfigurationBuilder configurationBuilder)
    {
        configurationBuilder.Properties<Instant>().HaveConversion<InstantToUtcDateTimeConverter>().HaveColumnType("datetime2");
    }

    protected override void OnModelCreating(ModelBuilder modelBuilder)
    {
        base.OnModelCreating(modelBuilder);

        // SQL Server compares text case-insensitively by default; ids and nonces are exact, as
        // they are on PostgreSQL and SQLite.
        const string Exact = "Latin1_General_100_BIN2";
        modelBuilder.Entity<CredentialRow>().Property(c => c.Id).UseCollation(Exact);
        modelBuilder.Entity<NonceRow>().Property(n => n.CredentialId).UseCollation(Exact);
        modelBuilder.Entity<NonceRow>().Property(n => n.Nonce).UseCollation(Exact);
    }
}
