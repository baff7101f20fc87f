using Microsoft.EntityFrameworkCore;
using Microsoft.EntityFrameworkCore.Metadata.Builders;

namespace LocalKeyManager.Infrastructure.Persistence.Configurations;

internal sealed class CredentialConfiguration : IEntityTypeConfiguration<CredentialRow>
{
    public void Configure(EntityTypeBuilder<CredentialRow> builder)
    {
        builder.ToTable("credentials");
        builder.HasKey(c => c.Id);
        builder.Property(c => c.Id).HasColumnName("id").HasMaxLength(128).ValueGeneratedNever();
        builder.Property(c => c.Role).HasColumnName("role");
        builder.Property(c => c.Algorithm).HasColumnName("algorithm");
        builder.Property(c => c.WrappedKey).HasColumnName("wrapped_key").IsRequired();
        builder.Property(c => c.KekId).HasColumnName("kek_id").HasMaxLength(64).IsRequired();
        builder.Property(c => c.CreatedAt).HasColumnName("created_at");
        builder.Property(c => c.RevokedAt).HasColumnName("revoked_at");
    }
}
