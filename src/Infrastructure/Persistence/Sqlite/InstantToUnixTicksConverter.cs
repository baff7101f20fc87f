using Microsoft.EntityFrameworkCore.Storage.ValueConversion;
using NodaTime;

namespace LocalKeyManager.Infrastructure.Persistence.Sqlite;

internal sealed class InstantToUnixTicksConverter()
    : ValueConverter<Instant, long>(i => i.ToUnixTimeTicks(), t => Instant.FromUnixTimeTicks(t));
