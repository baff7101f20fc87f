using Microsoft.EntityFrameworkCore;

namespace LocalKeyManager.Infrastructure.Persistence.Postgres;

/// <summary>
/// The PostgreSQL flavour of the model: <c>timestamptz</c> for instants (Npgsql's NodaTime
/// plugin), <c>uuid</c>, <c>bytea</c>. Its migrations live in Migrations/Postgres.
/// </summary>
public sealed class PostgresKeyManagerDbContext(DbContextOptions<PostgresKeyManagerDbContext> options) : KeyManagerDbContext(options);
