using Microsoft.EntityFrameworkCore;
using Microsoft.EntityFrameworkCore.Design;

namespace LocalKeyManager.Infrastructure.Persistence.Postgres;

/// <summary>Lets <c>dotnet ef</c> build the PostgreSQL context without a server.</summary>
internal sealed class PostgresDesignTimeFactory : IDesignTimeDbContextFactory<PostgresKeyManagerDbContext>
{
    public PostgresKeyManagerDbContext CreateDbContext(string[] args) =>
        new(new DbContextOptionsBuilder<PostgresKeyManagerDbContext>().UseNpgsql("Host=localhost", o => o.UseNodaTime()).Options);
}
