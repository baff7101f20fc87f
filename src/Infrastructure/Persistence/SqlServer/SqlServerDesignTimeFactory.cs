using Microsoft.EntityFrameworkCore;
using Microsoft.EntityFrameworkCore.Design;

namespace LocalKeyManager.Infrastructure.Persistence.SqlServer;

/// <summary>Lets <c>dotnet ef</c> build the SQL Server context without a server.</summary>
internal sealed class SqlServerDesignTimeFactory : IDesignTimeDbContextFactory<SqlServerKeyManagerDbContext>
{
    public SqlServerKeyManagerDbContext CreateDbContext(string[] args) =>
        new(new DbContextOptionsBuilder<SqlServerKeyManagerDbContext>().UseSqlServer("Server=localhost;Database=lkm;TrustServerCertificate=true").Options);
}
