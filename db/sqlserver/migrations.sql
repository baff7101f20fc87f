IF OBJECT_ID(N'[__EFMigrationsHistory]') IS NULL
BEGIN
    CREATE TABLE [__EFMigrationsHistory] (
        [MigrationId] nvarchar(150) NOT NULL,
        [ProductVersion] nvarchar(32) NOT NULL,
        CONSTRAINT [PK___EFMigrationsHistory] PRIMARY KEY ([MigrationId])
    );
END;
GO

BEGIN TRANSACTION;
IF NOT EXISTS (
    SELECT * FROM [__EFMigrationsHistory]
    WHERE [MigrationId] = N'20261129171428_InitialCreate'
)
BEGIN
    CREATE TABLE [credentials] (
        [id] nvarchar(128) COLLATE Latin1_General_100_BIN2 NOT NULL,
        [role] int NOT NULL,
        [algorithm] int NOT NULL,
        [wrapped_key] varbinary(max) NOT NULL,
        [kek_id] nvarchar(64) NOT NULL,
        [created_at] datetime2 NOT NULL,
        [revoked_at] datetime2 NULL,
        CONSTRAINT [PK_credentials] PRIMARY KEY ([id])
    );
END;

IF NOT EXISTS (
    SELECT * FROM [__EFMigrationsHistory]
    WHERE [MigrationId] = N'20261129171428_InitialCreate'
)
BEGIN
    CREATE TABLE [hawk_nonces] (
        [credential_id] nvarchar(128) COLLATE Latin1_General_100_BIN2 NOT NULL,
        [nonce] nvarchar(512) COLLATE Latin1_General_100_BIN2 NOT NULL,
        [ts] bigint NOT NULL,
        [seen_at] datetime2 NOT NULL,
        CONSTRAINT [PK_hawk_nonces] PRIMARY KEY ([credential_id], [nonce], [ts])
    );
END;

IF NOT EXISTS (
    SELECT * FROM [__EFMigrationsHistory]
    WHERE [MigrationId] = N'20261129171428_InitialCreate'
)
BEGIN
    CREATE TABLE [keypairs] (
        [id] uniqueidentifier NOT NULL,
        [public_key] varbinary(max) NOT NULL,
        [wrapped_private_key] varbinary(max) NULL,
        [kek_id] nvarchar(64) NULL,
        [created_at] datetime2 NOT NULL,
        [state] int NOT NULL,
        [destroy_at] datetime2 NULL,
        CONSTRAINT [PK_keypairs] PRIMARY KEY ([id])
    );
END;

IF NOT EXISTS (
    SELECT * FROM [__EFMigrationsHistory]
    WHERE [MigrationId] = N'20261129171428_InitialCreate'
)
BEGIN
    CREATE TABLE [request_log] (
        [id] uniqueidentifier NOT NULL,
        [timestamp] datetime2 NOT NULL,
        [credential_id] nvarchar(128) NOT NULL,
        [user_id] nvarchar(256) NOT NULL,
        [request_method] nvarchar(16) NOT NULL,
        [request_uri] nvarchar(2048) NOT NULL,
        [status] int NOT NULL,
        [keypair_id] nvarchar(64) NULL,
        [client_address] nvarchar(64) NULL,
        [duration_ms] float NOT NULL,
        [detail] nvarchar(1024) NULL,
        [hash] varbinary(max) NOT NULL,
        [prev_hash] varbinary(max) NOT NULL,
        [seq] bigint NOT NULL,
        CONSTRAINT [PK_request_log] PRIMARY KEY ([id])
    );
END;

IF NOT EXISTS (
    SELECT * FROM [__EFMigrationsHistory]
    WHERE [MigrationId] = N'20261129171428_InitialCreate'
)
BEGIN
    CREATE TABLE [request_log_chain] (
        [id] int NOT NULL,
        [seq] bigint NOT NULL,
        [hash] varbinary(max) NOT NULL,
        CONSTRAINT [PK_request_log_chain] PRIMARY KEY ([id])
    );
END;

IF NOT EXISTS (
    SELECT * FROM [__EFMigrationsHistory]
    WHERE [MigrationId] = N'20261129171428_InitialCreate'
)
BEGIN
    IF EXISTS (SELECT * FROM [sys].[identity_columns] WHERE [name] IN (N'id', N'hash', N'seq') AND [object_id] = OBJECT_ID(N'[request_log_chain]'))
        SET IDENTITY_INSERT [request_log_chain] ON;
    EXEC(N'INSERT INTO [request_log_chain] ([id], [hash], [seq])
    VALUES (1, 0x0000000000000000000000000000000000000000000000000000000000000000, CAST(0 AS bigint))');
    IF EXISTS (SELECT * FROM [sys].[identity_columns] WHERE [name] IN (N'id', N'hash', N'seq') AND [object_id] = OBJECT_ID(N'[request_log_chain]'))
        SET IDENTITY_INSERT [request_log_chain] OFF;
END;

IF NOT EXISTS (
    SELECT * FROM [__EFMigrationsHistory]
    WHERE [MigrationId] = N'20261129171428_InitialCreate'
)
BEGIN
    CREATE INDEX [ix_hawk_nonces_seen_at] ON [hawk_nonces] ([seen_at]);
END;

IF NOT EXISTS (
    SELECT * FROM [__EFMigrationsHistory]
    WHERE [MigrationId] = N'20261129171428_InitialCreate'
)
BEGIN
    CREATE INDEX [ix_keypairs_created_at] ON [keypairs] ([created_at]);
END;

IF NOT EXISTS (
    SELECT * FROM [__EFMigrationsHistory]
    WHERE [MigrationId] = N'20261129171428_InitialCreate'
)
BEGIN
    CREATE INDEX [ix_keypairs_kek_id] ON [keypairs] ([kek_id]);
END;

IF NOT EXISTS (
    SELECT * FROM [__EFMigrationsHistory]
    WHERE [MigrationId] = N'20261129171428_InitialCreate'
)
BEGIN
    CREATE INDEX [ix_request_log_timestamp] ON [request_log] ([timestamp]);
END;

IF NOT EXISTS (
    SELECT * FROM [__EFMigrationsHistory]
    WHERE [MigrationId] = N'20261129171428_InitialCreate'
)
BEGIN
    CREATE UNIQUE INDEX [ux_request_log_seq] ON [request_log] ([seq]);
END;

IF NOT EXISTS (
    SELECT * FROM [__EFMigrationsHistory]
    WHERE [MigrationId] = N'20261129171428_InitialCreate'
)
BEGIN
    INSERT INTO [__EFMigrationsHistory] ([MigrationId], [ProductVersion])
    VALUES (N'20261129171428_InitialCreate', N'10.0.15');
END;

COMMIT;
GO

BEGIN TRANSACTION;
IF NOT EXISTS (
    SELECT * FROM [__EFMigrationsHistory]
    WHERE [MigrationId] = N'20261202140211_TimeOrderedReplayRecords'
)
BEGIN
    ALTER TABLE [hawk_nonces] DROP CONSTRAINT [PK_hawk_nonces];
END;

IF NOT EXISTS (
    SELECT * FROM [__EFMigrationsHistory]
    WHERE [MigrationId] = N'20261202140211_TimeOrderedReplayRecords'
)
BEGIN
    DROP INDEX [ix_hawk_nonces_seen_at] ON [hawk_nonces];
END;

IF NOT EXISTS (
    SELECT * FROM [__EFMigrationsHistory]
    WHERE [MigrationId] = N'20261202140211_TimeOrderedReplayRecords'
)
BEGIN
    ALTER TABLE [hawk_nonces] ADD CONSTRAINT [PK_hawk_nonces] PRIMARY KEY ([ts], [credential_id], [nonce]);
END;

IF NOT EXISTS (
    SELECT * FROM [__EFMigrationsHistory]
    WHERE [MigrationId] = N'20261202140211_TimeOrderedReplayRecords'
)
BEGIN
    INSERT INTO [__EFMigrationsHistory] ([MigrationId], [ProductVersion])
    VALUES (N'20261202140211_TimeOrderedReplayRecords', N'10.0.15');
END;

COMMIT;
GO

