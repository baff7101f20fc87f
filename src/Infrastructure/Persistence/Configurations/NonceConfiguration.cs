using Microsoft.EntityFrameworkCore;
using Microsoft.EntityFrameworkCore.Metadata.Builders;

namespace LocalKeyManager.Infrastructure.Persistence.Configurations;

internal sealed class NonceConfiguration : IEntityTypeConfiguration<NonceRow>
{
    public void Configure(EntityTypeBuilder<NonceRow> builder)
    {
        builder.ToTable("hawk_nonces");

        // The key is what makes a replay impossible: two instances inserting the same triple
        // at the same moment cannot both succeed.
        builder.HasKey(n => new { n.CredentialId, n.Nonce, n.Ts });
        builder.Property(n => n.CredentialId).HasColumnName("credential_id").HasMaxLength(128);
        builder.Property(n => n.Nonce).HasColumnName("nonce").HasMaxLength(NonceRow.MaxNonceLength);
        builder.Property(n => n.Ts).HasColumnName("ts");
        builder.Property(n => n.SeenAt).HasColumnName("seen_at");
        builder.HasIndex(n => n.SeenAt).HasDatabaseName("ix_hawk_nonces_seen_at");
    }
}
