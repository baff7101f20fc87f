using LocalKeyManager.Domain.Audit;
using Microsoft.EntityFrameworkCore;
using Microsoft.EntityFrameworkCore.Metadata.Builders;

namespace LocalKeyManager.Infrastructure.Persistence.Configurations;

internal sealed class RequestLogConfiguration : IEntityTypeConfiguration<RequestLogEntry>
{
    public void Configure(EntityTypeBuilder<RequestLogEntry> builder)
    {
        builder.ToTable("request_log");
        builder.HasKey(e => e.Id);
        builder.Property(e => e.Id).HasColumnName("id").ValueGeneratedNever();
        builder.Property(e => e.Timestamp).HasColumnName("timestamp");
        builder.Property(e => e.CredentialId).HasColumnName("credential_id").HasMaxLength(RequestLogEntry.MaxCredentialIdLength);
        builder.Property(e => e.UserId).HasColumnName("user_id").HasMaxLength(RequestLogEntry.MaxUserIdLength);
        builder.Property(e => e.RequestMethod).HasColumnName("request_method").HasMaxLength(RequestLogEntry.MaxRequestMethodLength);
        builder.Property(e => e.RequestUri).HasColumnName("request_uri").HasMaxLength(RequestLogEntry.MaxRequestUriLength);
        builder.Property(e => e.Status).HasColumnName("status");
        builder.Property(e => e.KeypairId).HasColumnName("keypair_id").HasMaxLength(RequestLogEntry.MaxKeypairIdLength);
        builder.Property(e => e.ClientAddress).HasColumnName("client_address").HasMaxLength(RequestLogEntry.MaxClientAddressLength);
        builder.Property(e => e.DurationMs).HasColumnName("duration_ms");
        builder.Property(e => e.Detail).HasColumnName("detail").HasMaxLength(RequestLogEntry.MaxDetailLength);
        builder.HasIndex(e => e.Timestamp).HasDatabaseName("ix_request_log_timestamp");
        builder.Property<long>(AuditChain.RequestLogChainColumns.Seq).HasColumnName("seq");
        builder.Property<byte[]>(AuditChain.RequestLogChainColumns.PrevHash).HasColumnName("prev_hash").IsRequired();
        builder.Property<byte[]>(AuditChain.RequestLogChainColumns.Hash).HasColumnName("hash").IsRequired();
        builder.HasIndex(AuditChain.RequestLogChainColumns.Seq).IsUnique().HasDatabaseName("ux_request_log_seq");
    }
}
