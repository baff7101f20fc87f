using Microsoft.EntityFrameworkCore;
using Microsoft.EntityFrameworkCore.Metadata.Builders;

namespace LocalKeyManager.Infrastructure.Persistence.AuditChain;

internal sealed class ChainHeadConfiguration : IEntityTypeConfiguration<ChainHeadRow>
{
    public void Configure(EntityTypeBuilder<ChainHeadRow> builder)
    {
        builder.ToTable("request_log_chain");
        builder.HasKey(h => h.Id);
        builder.Property(h => h.Id).HasColumnName("id").ValueGeneratedNever();
        builder.Property(h => h.Seq).HasColumnName("seq");
        builder.Property(h => h.Hash).HasColumnName("hash").IsRequired();

        // The head exists from the start, so appenders only ever lock and update it.
        builder.HasData(new ChainHeadRow { Id = ChainHeadRow.SingletonId, Seq = 0, Hash = new byte[32] });
    }
}
