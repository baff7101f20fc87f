using Microsoft.EntityFrameworkCore;
using Microsoft.EntityFrameworkCore.Design;

namespace LocalKeyManager.Infrastructure.Persistence.Sqlite;

/// <summary>Lets <c>dotnet ef</c> build the SQLite context without the web host.</summary>
internal sealed class SqliteDesignTimeFactory : IDesignTimeDbContextFactory<SqliteKeyManagerDbContext>
{
    public SqliteKeyManagerDbContext CreateDbContext(string[] args) =>
        new(new DbContextOptionsBuilder<SqliteKeyManagerDbContext>().UseSqlite("Data Source=design-time.db").Options);
}
