using Microsoft.EntityFrameworkCore.Migrations;

#nullable disable

namespace LocalKeyManager.Infrastructure.Persistence.Migrations.Sqlite
{
    /// <inheritdoc />
    public partial class TimeOrderedReplayRecords : Migration
    {
        /// <summary>
        /// SQLite cannot change a primary key in place, so the table is rebuilt, written out here:
        /// EF Core's own rebuild runs in two transactions around <c>PRAGMA foreign_keys</c> (which
        /// cannot run in one), and a crash between them left a database whose next start failed.
        /// The table has no foreign keys, so one transaction does it all: the migration commits
        /// whole or not at all, keeping every replay record.
        /// </summary>
        protected override void Up(MigrationBuilder migrationBuilder)
        {
            migrationBuilder.Sql("""DROP INDEX "ix_hawk_nonces_seen_at";""");
            migrationBuilder.Sql("""
                CREATE TABLE "ef_temp_hawk_nonces" (
                    "ts" INTEGER NOT NULL,
                    "credential_id" TEXT NOT NULL,
                    "nonce" TEXT NOT NULL,
                    "seen_at" INTEGER NOT NULL,
                    CONSTRAINT "PK_hawk_nonces" PRIMARY KEY ("ts", "credential_id", "nonce")
                );
                """);
            migrationBuilder.Sql("""
                INSERT INTO "ef_temp_hawk_nonces" ("ts", "credential_id", "nonce", "seen_at")
                SELECT "ts", "credential_id", "nonce", "seen_at" FROM "hawk_nonces";
                """);
            migrationBuilder.Sql("""DROP TABLE "hawk_nonces";""");
            migrationBuilder.Sql("""ALTER TABLE "ef_temp_hawk_nonces" RENAME TO "hawk_nonces";""");
        }

        /// <inheritdoc />
        protected override void Down(MigrationBuilder migrationBuilder)
        {
            migrationBuilder.DropPrimaryKey(
                name: "PK_hawk_nonces",
                table: "hawk_nonces");

            migrationBuilder.AddPrimaryKey(
                name: "PK_hawk_nonces",
                table: "hawk_nonces",
                columns: new[] { "credential_id", "nonce", "ts" });

            migrationBuilder.CreateIndex(
                name: "ix_hawk_nonces_seen_at",
                table: "hawk_nonces",
                column: "seen_at");
        }
    }
}
