using Microsoft.EntityFrameworkCore.Storage.ValueConversion;
using NodaTime;

namespace LocalKeyManager.Infrastructure.Persistence.SqlServer;

internal sealed class InstantToUtcDateTimeConverter()
    : ValueConverter<Instant, DateTime>(i => i.ToDateTimeUtc(), d => Instant.FromDateTimeUtc(DateTime.SpecifyKind(d, DateTimeKind.Utc)));
