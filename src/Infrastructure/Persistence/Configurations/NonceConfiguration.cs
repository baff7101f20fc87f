using Microsoft.EntityFrameworkCore;
using Microsoft.EntityFrameworkCore.Metadata.Builders;

namespace LocalKeyManager.Infrastructure.Persistence.Configurations;

internal sealed class NonceConfiguration : IEntityTypeConfiguration<NonceRow>
{
    public void Configure(EntityTypeBuilder<NonceRow> builder)
    {
        builder.ToTable("hawk_nonces");

        // The key is what makes a replay impossible: two instances inserting the same triple
        // at the same moment cannot both succeed. The client's ts leads it: every ts accepted is
        // within the skew window of now, so new records go to the end of the key's index and the
        // clean-up removes its start, a few pages each, where a key led by the random nonce
        // touched a page anywhere in the index for each record (ADR-011).
        builder.HasKey(n => new { n.Ts, n.CredentialId, n.Nonce });
        builder.Property(n => n.CredentialId).HasColumnName("credential_id").HasMaxLength(128);
        builder.Property(n => n.Nonce).HasColumnName("nonce").HasMaxLength(NonceRow.MaxNonceLength);
        builder.Property(n => n.Ts).HasColumnName("ts");
        builder.Property(n => n.SeenAt).HasColumnName("seen_at");
    }
}
