using Microsoft.EntityFrameworkCore;
using Microsoft.EntityFrameworkCore.Metadata.Builders;

namespace LocalKeyManager.Infrastructure.Persistence.Configurations;

internal sealed class KeypairConfiguration : IEntityTypeConfiguration<KeypairRow>
{
    public void Configure(EntityTypeBuilder<KeypairRow> builder)
    {
        builder.ToTable("keypairs");
        builder.HasKey(k => k.Id);
        builder.Property(k => k.Id).HasColumnName("id").ValueGeneratedNever();
        builder.Property(k => k.PublicKey).HasColumnName("public_key").IsRequired();
        builder.Property(k => k.WrappedPrivateKey).HasColumnName("wrapped_private_key");
        builder.Property(k => k.KekId).HasColumnName("kek_id").HasMaxLength(64);
        builder.Property(k => k.DestroyAt).HasColumnName("destroy_at");
        builder.Property(k => k.CreatedAt).HasColumnName("created_at");
        builder.Property(k => k.State).HasColumnName("state");
        builder.HasIndex(k => k.CreatedAt).HasDatabaseName("ix_keypairs_created_at");
        builder.HasIndex(k => k.KekId).HasDatabaseName("ix_keypairs_kek_id");
    }
}
