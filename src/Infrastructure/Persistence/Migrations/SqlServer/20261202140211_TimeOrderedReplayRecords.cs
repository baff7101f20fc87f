using Microsoft.EntityFrameworkCore.Migrations;

#nullable disable

namespace LocalKeyManager.Infrastructure.Persistence.Migrations.SqlServer
{
    /// <inheritdoc />
    public partial class TimeOrderedReplayRecords : Migration
    {
        /// <inheritdoc />
        protected override void Up(MigrationBuilder migrationBuilder)
        {
            migrationBuilder.DropPrimaryKey(
                name: "PK_hawk_nonces",
                table: "hawk_nonces");

            migrationBuilder.DropIndex(
                name: "ix_hawk_nonces_seen_at",
                table: "hawk_nonces");

            migrationBuilder.AddPrimaryKey(
                name: "PK_hawk_nonces",
                table: "hawk_nonces",
                columns: new[] { "ts", "credential_id", "nonce" });
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
