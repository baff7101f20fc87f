CREATE TABLE IF NOT EXISTS "__EFMigrationsHistory" (
    "MigrationId" character varying(150) NOT NULL,
    "ProductVersion" character varying(32) NOT NULL,
    CONSTRAINT "PK___EFMigrationsHistory" PRIMARY KEY ("MigrationId")
);

START TRANSACTION;

DO $EF$
BEGIN
    IF NOT EXISTS(SELECT 1 FROM "__EFMigrationsHistory" WHERE "MigrationId" = '20261129171415_InitialCreate') THEN
    CREATE TABLE credentials (
        id character varying(128) NOT NULL,
        role integer NOT NULL,
        algorithm integer NOT NULL,
        wrapped_key bytea NOT NULL,
        kek_id character varying(64) NOT NULL,
        created_at timestamp with time zone NOT NULL,
        revoked_at timestamp with time zone,
        CONSTRAINT "PK_credentials" PRIMARY KEY (id)
    );
    END IF;
END $EF$;

DO $EF$
BEGIN
    IF NOT EXISTS(SELECT 1 FROM "__EFMigrationsHistory" WHERE "MigrationId" = '20261129171415_InitialCreate') THEN
    CREATE TABLE hawk_nonces (
        credential_id character varying(128) NOT NULL,
        nonce character varying(512) NOT NULL,
        ts bigint NOT NULL,
        seen_at timestamp with time zone NOT NULL,
        CONSTRAINT "PK_hawk_nonces" PRIMARY KEY (credential_id, nonce, ts)
    );
    END IF;
END $EF$;

DO $EF$
BEGIN
    IF NOT EXISTS(SELECT 1 FROM "__EFMigrationsHistory" WHERE "MigrationId" = '20261129171415_InitialCreate') THEN
    CREATE TABLE keypairs (
        id uuid NOT NULL,
        public_key bytea NOT NULL,
        wrapped_private_key bytea,
        kek_id character varying(64),
        created_at timestamp with time zone NOT NULL,
        state integer NOT NULL,
        destroy_at timestamp with time zone,
        CONSTRAINT "PK_keypairs" PRIMARY KEY (id)
    );
    END IF;
END $EF$;

DO $EF$
BEGIN
    IF NOT EXISTS(SELECT 1 FROM "__EFMigrationsHistory" WHERE "MigrationId" = '20261129171415_InitialCreate') THEN
    CREATE TABLE request_log (
        id uuid NOT NULL,
        timestamp timestamp with time zone NOT NULL,
        credential_id character varying(128) NOT NULL,
        user_id character varying(256) NOT NULL,
        request_method character varying(16) NOT NULL,
        request_uri character varying(2048) NOT NULL,
        status integer NOT NULL,
        keypair_id character varying(64),
        client_address character varying(64),
        duration_ms double precision NOT NULL,
        detail character varying(1024),
        hash bytea NOT NULL,
        prev_hash bytea NOT NULL,
        seq bigint NOT NULL,
        CONSTRAINT "PK_request_log" PRIMARY KEY (id)
    );
    END IF;
END $EF$;

DO $EF$
BEGIN
    IF NOT EXISTS(SELECT 1 FROM "__EFMigrationsHistory" WHERE "MigrationId" = '20261129171415_InitialCreate') THEN
    CREATE TABLE request_log_chain (
        id integer NOT NULL,
        seq bigint NOT NULL,
        hash bytea NOT NULL,
        CONSTRAINT "PK_request_log_chain" PRIMARY KEY (id)
    );
    END IF;
END $EF$;

DO $EF$
BEGIN
    IF NOT EXISTS(SELECT 1 FROM "__EFMigrationsHistory" WHERE "MigrationId" = '20261129171415_InitialCreate') THEN
    INSERT INTO request_log_chain (id, hash, seq)
    VALUES (1, BYTEA E'\\x0000000000000000000000000000000000000000000000000000000000000000', 0);
    END IF;
END $EF$;

DO $EF$
BEGIN
    IF NOT EXISTS(SELECT 1 FROM "__EFMigrationsHistory" WHERE "MigrationId" = '20261129171415_InitialCreate') THEN
    CREATE INDEX ix_hawk_nonces_seen_at ON hawk_nonces (seen_at);
    END IF;
END $EF$;

DO $EF$
BEGIN
    IF NOT EXISTS(SELECT 1 FROM "__EFMigrationsHistory" WHERE "MigrationId" = '20261129171415_InitialCreate') THEN
    CREATE INDEX ix_keypairs_created_at ON keypairs (created_at);
    END IF;
END $EF$;

DO $EF$
BEGIN
    IF NOT EXISTS(SELECT 1 FROM "__EFMigrationsHistory" WHERE "MigrationId" = '20261129171415_InitialCreate') THEN
    CREATE INDEX ix_keypairs_kek_id ON keypairs (kek_id);
    END IF;
END $EF$;

DO $EF$
BEGIN
    IF NOT EXISTS(SELECT 1 FROM "__EFMigrationsHistory" WHERE "MigrationId" = '20261129171415_InitialCreate') THEN
    CREATE INDEX ix_request_log_timestamp ON request_log (timestamp);
    END IF;
END $EF$;

DO $EF$
BEGIN
    IF NOT EXISTS(SELECT 1 FROM "__EFMigrationsHistory" WHERE "MigrationId" = '20261129171415_InitialCreate') THEN
    CREATE UNIQUE INDEX ux_request_log_seq ON request_log (seq);
    END IF;
END $EF$;

DO $EF$
BEGIN
    IF NOT EXISTS(SELECT 1 FROM "__EFMigrationsHistory" WHERE "MigrationId" = '20261129171415_InitialCreate') THEN
    INSERT INTO "__EFMigrationsHistory" ("MigrationId", "ProductVersion")
    VALUES ('20261129171415_InitialCreate', '10.0.15');
    END IF;
END $EF$;
COMMIT;

START TRANSACTION;

DO $EF$
BEGIN
    IF NOT EXISTS(SELECT 1 FROM "__EFMigrationsHistory" WHERE "MigrationId" = '20261202140159_TimeOrderedReplayRecords') THEN
    ALTER TABLE hawk_nonces DROP CONSTRAINT "PK_hawk_nonces";
    END IF;
END $EF$;

DO $EF$
BEGIN
    IF NOT EXISTS(SELECT 1 FROM "__EFMigrationsHistory" WHERE "MigrationId" = '20261202140159_TimeOrderedReplayRecords') THEN
    DROP INDEX ix_hawk_nonces_seen_at;
    END IF;
END $EF$;

DO $EF$
BEGIN
    IF NOT EXISTS(SELECT 1 FROM "__EFMigrationsHistory" WHERE "MigrationId" = '20261202140159_TimeOrderedReplayRecords') THEN
    ALTER TABLE hawk_nonces ADD CONSTRAINT "PK_hawk_nonces" PRIMARY KEY (ts, credential_id, nonce);
    END IF;
END $EF$;

DO $EF$
BEGIN
    IF NOT EXISTS(SELECT 1 FROM "__EFMigrationsHistory" WHERE "MigrationId" = '20261202140159_TimeOrderedReplayRecords') THEN
    INSERT INTO "__EFMigrationsHistory" ("MigrationId", "ProductVersion")
    VALUES ('20261202140159_TimeOrderedReplayRecords', '10.0.15');
    END IF;
END $EF$;
COMMIT;

