CREATE TABLE IF NOT EXISTS "__EFMigrationsHistory" (
    "MigrationId" TEXT NOT NULL CONSTRAINT "PK___EFMigrationsHistory" PRIMARY KEY,
    "ProductVersion" TEXT NOT NULL
);

BEGIN TRANSACTION;
CREATE TABLE IF NOT EXISTS "credentials" (
    "id" TEXT NOT NULL CONSTRAINT "PK_credentials" PRIMARY KEY,
    "role" INTEGER NOT NULL,
    "algorithm" INTEGER NOT NULL,
    "wrapped_key" BLOB NOT NULL,
    "kek_id" TEXT NOT NULL,
    "created_at" INTEGER NOT NULL,
    "revoked_at" INTEGER NULL
);

CREATE TABLE IF NOT EXISTS "hawk_nonces" (
    "credential_id" TEXT NOT NULL,
    "nonce" TEXT NOT NULL,
    "ts" INTEGER NOT NULL,
    "seen_at" INTEGER NOT NULL,
    CONSTRAINT "PK_hawk_nonces" PRIMARY KEY ("credential_id", "nonce", "ts")
);

CREATE TABLE IF NOT EXISTS "keypairs" (
    "id" TEXT NOT NULL CONSTRAINT "PK_keypairs" PRIMARY KEY,
    "public_key" BLOB NOT NULL,
    "wrapped_private_key" BLOB NULL,
    "kek_id" TEXT NULL,
    "created_at" INTEGER NOT NULL,
    "state" INTEGER NOT NULL,
    "destroy_at" INTEGER NULL
);

CREATE TABLE IF NOT EXISTS "request_log" (
    "id" TEXT NOT NULL CONSTRAINT "PK_request_log" PRIMARY KEY,
    "timestamp" INTEGER NOT NULL,
    "credential_id" TEXT NOT NULL,
    "user_id" TEXT NOT NULL,
    "request_method" TEXT NOT NULL,
    "request_uri" TEXT NOT NULL,
    "status" INTEGER NOT NULL,
    "keypair_id" TEXT NULL,
    "client_address" TEXT NULL,
    "duration_ms" REAL NOT NULL,
    "detail" TEXT NULL,
    "hash" BLOB NOT NULL,
    "prev_hash" BLOB NOT NULL,
    "seq" INTEGER NOT NULL
);

CREATE TABLE IF NOT EXISTS "request_log_chain" (
    "id" INTEGER NOT NULL CONSTRAINT "PK_request_log_chain" PRIMARY KEY,
    "seq" INTEGER NOT NULL,
    "hash" BLOB NOT NULL
);

INSERT OR IGNORE INTO "request_log_chain" ("id", "hash", "seq")
VALUES (1, X'0000000000000000000000000000000000000000000000000000000000000000', 0);
SELECT changes();


CREATE INDEX IF NOT EXISTS "ix_hawk_nonces_seen_at" ON "hawk_nonces" ("seen_at");

CREATE INDEX IF NOT EXISTS "ix_keypairs_created_at" ON "keypairs" ("created_at");

CREATE INDEX IF NOT EXISTS "ix_keypairs_kek_id" ON "keypairs" ("kek_id");

CREATE INDEX IF NOT EXISTS "ix_request_log_timestamp" ON "request_log" ("timestamp");

CREATE UNIQUE INDEX IF NOT EXISTS "ux_request_log_seq" ON "request_log" ("seq");

INSERT OR IGNORE INTO "__EFMigrationsHistory" ("MigrationId", "ProductVersion")
VALUES ('20261129171402_InitialCreate', '10.0.15');

COMMIT;

BEGIN TRANSACTION;
DROP INDEX IF EXISTS "ix_hawk_nonces_seen_at";

CREATE TABLE IF NOT EXISTS "ef_temp_hawk_nonces" (
    "ts" INTEGER NOT NULL,
    "credential_id" TEXT NOT NULL,
    "nonce" TEXT NOT NULL,
    "seen_at" INTEGER NOT NULL,
    CONSTRAINT "PK_hawk_nonces" PRIMARY KEY ("ts", "credential_id", "nonce")
);

INSERT OR IGNORE INTO "ef_temp_hawk_nonces" ("ts", "credential_id", "nonce", "seen_at")
SELECT "ts", "credential_id", "nonce", "seen_at" FROM "hawk_nonces";

DROP TABLE "hawk_nonces";

ALTER TABLE "ef_temp_hawk_nonces" RENAME TO "hawk_nonces";

INSERT OR IGNORE INTO "__EFMigrationsHistory" ("MigrationId", "ProductVersion")
VALUES ('20261202140145_TimeOrderedReplayRecords', '10.0.15');

COMMIT;

