using Microsoft.EntityFrameworkCore;
using NodaTime;

namespace LocalKeyManager.Infrastructure.Persistence.Sqlite;

/// <summary>The SQLite flavour of the model; its migrations live in Migrations/Sqlite.</summary>
public sealed class SqliteKeyManagerDbContext(DbContextOptions<SqliteKeyManagerDbContext> options) : KeyManagerDbContext(options)
{
    protected override void ConfigureConventions(ModelConfigurationBuilder configurationBuilder)
    {
        // SQLite has no instant type: store ticks (100 ns) since the Unix epoch, which sort and
        // compare as integers.
        configurationBuilder.Properties<Instant>().HaveConversion<InstantToUnixTicksConverter>();
    }
}
