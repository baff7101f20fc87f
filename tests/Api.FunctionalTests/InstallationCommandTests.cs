using System.Text.Json;

namespace LocalKeyManager.Api.FunctionalTests;

/// <summary>Setting an installation up: migrations, settings that cannot work, databases that are not there or do not answer.</summary>
public sealed class InstallationCommandTests : CommandLineHarness
{
    [Fact]
    public async Task Migrate_brings_a_new_database_up_to_date()
    {
        var (exit, stdout, _) = await RunAsync("migrate");
        var (again, stdout2, _) = await RunAsync("migrate");

        exit.Should().Be(0);
        stdout.Should().Contain("Applied");
        again.Should().Be(0);
        stdout2.Should().Contain("up to date");
    }

    [Fact]
    public async Task A_schema_a_newer_version_migrated_is_said_to_be_ahead_by_migrate_and_at_start_up()
    {
        (await RunAsync("credentials", "create", "--id", "schema-ahead")).ExitCode.Should().Be(0);
        var future = "29991231235959_FromANewerVersion";
        await using (var connection = new Microsoft.Data.Sqlite.SqliteConnection($"Data Source={Path.Combine(WorkingDirectory, "lkm.db")};Pooling=false"))
        {
            await connection.OpenAsync(TestContext.Current.CancellationToken);
            await using var insert = connection.CreateCommand();
            insert.CommandText = $"INSERT INTO __EFMigrationsHistory (MigrationId, ProductVersion) VALUES ('{future}', '10.0.0')";
            await insert.ExecuteNonQueryAsync(TestContext.Current.CancellationToken);
        }

        var migrate = await RunAsync("migrate");
        var started = await RunAsync("credentials", "list", "--Database:MigrateOnStartup=false");
        var startedMigrating = await RunAsync("credentials", "list");

        migrate.ExitCode.Should().Be(0);
        migrate.Stdout.Should().Be("The schema is up to date." + Environment.NewLine);
        foreach (var run in new[] { migrate, started, startedMigrating })
        {
            run.Stderr.Should().Contain($"The database schema is ahead of this version: 1 migration(s) this version does not know were applied by a newer one (the newest {future})");
        }

        started.ExitCode.Should().Be(0);
        startedMigrating.ExitCode.Should().Be(0);
    }

    [Fact]
    public async Task Migrate_under_a_postgres_login_that_may_not_create_tables_says_which_login_it_needs()
    {
        Assert.SkipWhen(TestSupport.TestDatabase.PostgresServer is null, TestSupport.TestDatabase.PostgresSkipReason);
        var suffix = Guid.NewGuid().ToString("N")[..8];
        var (database, role) = ("lkm_rights_" + suffix, "lkm_norights_" + suffix);
        await ExecuteOnPostgresServerAsync($"CREATE DATABASE {database}", $"CREATE ROLE {role} LOGIN");
        try
        {
            var login = new Npgsql.NpgsqlConnectionStringBuilder(TestSupport.TestDatabase.PostgresServer) { Database = database, Username = role, Pooling = false }.ConnectionString;

            var (exit, stdout, stderr) = await RunAsync("migrate", "--Database:Provider=Postgres", $"--ConnectionStrings:KeyManager={login}");

            exit.Should().Be(1);
            stdout.Should().BeEmpty();
            stderr.Should().StartWith("lkm: The database could not be used: 42501: permission denied for schema public")
                .And.Contain("'migrate' runs as the schema's owner");
        }
        finally
        {
            Npgsql.NpgsqlConnection.ClearAllPools();
            await ExecuteOnPostgresServerAsync($"DROP DATABASE IF EXISTS {database} WITH (FORCE)", $"DROP ROLE IF EXISTS {role}");
        }
    }

    [Fact]
    public async Task Migrate_says_so_when_it_creates_the_postgres_database_it_was_pointed_at()
    {
        Assert.SkipWhen(TestSupport.TestDatabase.PostgresServer is null, TestSupport.TestDatabase.PostgresSkipReason);
        var name = "lkm_typo_" + Guid.NewGuid().ToString("N")[..8];
        var connection = new Npgsql.NpgsqlConnectionStringBuilder(TestSupport.TestDatabase.PostgresServer) { Database = name }.ConnectionString;
        try
        {
            var first = await RunAsync("migrate", "--Database:Provider=Postgres", $"--ConnectionStrings:KeyManager={connection}");
            var second = await RunAsync("migrate", "--Database:Provider=Postgres", $"--ConnectionStrings:KeyManager={connection}");

            first.ExitCode.Should().Be(0);
            first.Stdout.Should().MatchRegex(@"^Applied [1-9][0-9]* migration\(s\)\.\r?\n$");
            first.Stderr.Should().Contain($"The database {name} named in ConnectionStrings:KeyManager did not exist: created it");
            second.Stdout.Should().Be("The schema is up to date." + Environment.NewLine);
            second.Stderr.Should().NotContain("did not exist");
        }
        finally
        {
            Npgsql.NpgsqlConnection.ClearAllPools();
            await using var server = new Npgsql.NpgsqlConnection(TestSupport.TestDatabase.PostgresServer);
            await server.OpenAsync(TestContext.Current.CancellationToken);
            await using var drop = new Npgsql.NpgsqlCommand($"DROP DATABASE IF EXISTS {name} WITH (FORCE)", server);
            await drop.ExecuteNonQueryAsync(TestContext.Current.CancellationToken);
        }
    }

    [Theory]
    [InlineData("Postgres")]
    [InlineData("SqlServer")]
    public async Task A_server_database_without_a_connection_string_is_refused_naming_the_setting(string provider)
    {
        // The SQLite default must not reach another provider's driver (it said "Couldn't set data source").
        var (exit, stdout, stderr) = await RunAsync("credentials", "list", $"--Database:Provider={provider}");

        exit.Should().Be(1);
        stdout.Should().BeEmpty();
        stderr.TrimEnd().Split('\n').Should().ContainSingle().Which.Should().Be($"lkm: ConnectionStrings:KeyManager is required with Database:Provider={provider}.");
    }

    [Theory]
    [InlineData("credentials", "create", "--id", "ab")]
    [InlineData("credentials", "create", "--id", "genesys-prod", "--role", "Admin")]
    [InlineData("credentials", "create", "--id", "genesys-prod", "--algorithm", "md5")]
    [InlineData("keys", "import", "--file", "key.pem", "--id", "not-a-uuid")]
    public async Task A_command_that_may_set_up_an_installation_checks_its_input_first_and_a_refusal_creates_nothing(params string[] args)
    {
        using var rsa = System.Security.Cryptography.RSA.Create(2048);
        var keyFolder = Directory.CreateTempSubdirectory("lkm-cli-key-").FullName;
        var key = Path.Combine(keyFolder, "key.pem");
        await File.WriteAllTextAsync(key, rsa.ExportRSAPrivateKeyPem(), TestContext.Current.CancellationToken);

        var (exit, stdout, stderr) = await RunAsync([.. args.Select(a => a == "key.pem" ? key : a)]);
        Directory.Delete(keyFolder, recursive: true);

        exit.Should().Be(1);
        stdout.Should().BeEmpty();
        stderr.TrimEnd().Split('\n').Should().ContainSingle().Which.Should().StartWith("lkm: ");
        Directory.EnumerateFileSystemEntries(WorkingDirectory).Should().BeEmpty("a refused command sets up no installation and no master key");
    }

    [Theory]
    [InlineData("credentials", "list")]
    [InlineData("credentials", "revoke", "--id", "genesys-prod")]
    [InlineData("keys", "list")]
    [InlineData("keys", "export-backup", "--out", "backup.lkmbackup", "--passphrase-env", "PATH")]
    [InlineData("master-key", "status")]
    [InlineData("master-key", "rotate")]
    [InlineData("audit", "verify")]
    public async Task A_command_that_reads_an_installation_refuses_a_database_that_is_not_there_and_creates_nothing(params string[] args)
    {
        var (exit, stdout, stderr) = await RunAsync(args);

        exit.Should().Be(1);
        stdout.Should().BeEmpty();
        stderr.TrimEnd().Split('\n').Should().ContainSingle().Which.Should().StartWith("lkm: There is no database at " + Path.Combine(WorkingDirectory, "lkm.db"));
        Directory.EnumerateFileSystemEntries(WorkingDirectory).Should().BeEmpty("a mistyped path must not become a new installation with its own master key");

        (await RunAsync("credentials", "create", "--id", "genesys-prod")).ExitCode.Should().Be(0, "creating a credential sets an installation up");
        (await RunAsync(args)).ExitCode.Should().Be(0, "the same command once the installation exists");
    }

    [Theory]
    [InlineData("--rol", "admin")]
    [InlineData("--role", "admin", "stray")]
    [InlineData("-r", "admin")]
    [InlineData("--Role=admin")]
    [InlineData("--Databse:Provider=Postgres")]
    [InlineData("--ConnectionStrings=Host=db")]
    [InlineData("--ConnectionStrings:KeyManger=Data Source=other.db")]
    public async Task A_mistyped_option_is_a_usage_error_and_creates_nothing(params string[] mistake)
    {
        (await RunAsync("credentials", "create", "--id", "setup-admin", "--role", "admin")).ExitCode.Should().Be(0);
        var (exit, stdout, stderr) = await RunAsync(["credentials", "create", "--id", "genesys-typo", .. mistake]);
        var (_, list, _) = await RunAsync("credentials", "list");

        exit.Should().Be(2);
        stdout.Should().BeEmpty();
        stderr.Should().StartWith("lkm: ").And.Contain("usage: lkm");
        stderr.TrimEnd().Split('\n').Should().ContainSingle();
        JsonSerializer.Deserialize<JsonElement[]>(list)!.Select(c => c.GetProperty("id").GetString()).Should().Equal(["setup-admin"], "the command must not run with the option it did not understand");
    }

    /// <summary>A setting that cannot work, and what the refusal must name.</summary>
    public static TheoryData<string, string> SettingsThatCannotWork => new()
    {
        { "--ForwardedHeaders:KnownProxies=not-an-ip", "ForwardedHeaders:KnownProxies: 'not-an-ip'" },
        { "--ForwardedHeaders:KnownProxies=10.0.0.5,10.0.0.0/8", "ForwardedHeaders:KnownProxies: '10.0.0.0/8'" },
        { "--ForwardedHeaders:KnownNetworks:0=127.0.0.0/99", "ForwardedHeaders:KnownNetworks: '127.0.0.0/99'" },
        { "--Metrics:AllowedNetworks=10.0.0.0/8 prometheus", "Metrics:AllowedNetworks: 'prometheus'" },
        { "--Hawk:PublicHost=https://lkm.example.com", "Hawk:PublicHost 'https://lkm.example.com' must be a host name only" },
        { "--Hawk:PublicHost=lkm.example.com:443", "the port goes in Hawk:PublicPort" },
        { "--RequestLog:RetentionDays=-5", "RequestLog:RetentionDays must be 0" },
        { "--RequestLog:RetentionDays=abc", "RequestLog:RetentionDays" },
        { "--ConnectionStrings:KeyManager=garbage", "ConnectionStrings:KeyManager cannot be read" },
        { "--OpenTelemetry:OtlpEndpoint=bogus", "OpenTelemetry:OtlpEndpoint 'bogus'" },
        { "--Hawk:PublicHots=lkm.example.com", "Hawk:PublicHots is not a setting of this service; Hawk takes LockoutSeconds, LockoutThreshold, PublicHost," },
        { "--KeyProtection:Local:KeyFiel=/etc/lkm/key.json", "KeyProtection:Local:KeyFiel is not a setting of this service; KeyProtection:Local takes ActiveVersion, KeyFile, Keys." },
        { "--RateLimiting:PerCredentialPerSec=5", "RateLimiting:PerCredentialPerSec is not a setting" },
        { "--RateLimiting:PerCredentialPerSecond=-5", "RateLimiting:PerCredentialPerSecond must be 0 (off) or more" },
        { "--Hawk:TimestampSkewSeconds=-1", "lkm: Hawk:TimestampSkewSeconds must be 1 to 3600." },
        { "--KeyCache:MaxKeypairs=0", "lkm: KeyCache:MaxKeypairs must be 1 to 1000000." },
        { "--KeyProtection:Provider=Foo", "KeyProtection:Provider 'Foo' is not supported" },
        { "--KeyProtection:Local:Keys:1=short", "KeyProtection:Local:Keys" },
        { "--ForwardedHeaders:KnownProxies=10.5", "ForwardedHeaders:KnownProxies: '10.5' is not an IP address" },
        { "--KeyProtection:Local:ActiveVersion=7", "KeyProtection:Local:ActiveVersion is 7 but no KeyProtection:Local:Keys" },
    };

    [Theory]
    [MemberData(nameof(SettingsThatCannotWork))]
    public async Task A_setting_that_cannot_work_stops_serve_naming_it_and_creates_nothing(string setting, string named)
    {
        var (exit, stdout, stderr) = await RunAsync("serve", "--urls=http://127.0.0.1:0", setting);

        exit.Should().Be(1, stderr);
        stdout.Should().NotContain("Now listening");
        stderr.TrimEnd().Split('\n').Should().ContainSingle().Which.Should().StartWith("lkm: ").And.Contain(named).And.NotContain("DataAnnotation");
        Directory.EnumerateFileSystemEntries(WorkingDirectory).Should().BeEmpty("start-up stopped before it set anything up");
    }

    [Theory]
    [MemberData(nameof(SettingsThatCannotWork))]
    public Task A_setting_that_cannot_work_stops_a_command_that_sets_up_naming_it_and_creating_nothing(string setting, string named) =>
        RefusedByEveryCommandAsync(setting, named, ["credentials", "create", "--id", "settings-check"]);

    /// <summary>The other commands check the same way (one setting of the service's own sections, one of the web face's).</summary>
    [Theory]
    [InlineData("--Hawk:TimestampSkewSeconds=0", "lkm: Hawk:TimestampSkewSeconds must be 1 to 3600.")]
    [InlineData("--ForwardedHeaders:KnownProxies=not-an-ip", "ForwardedHeaders:KnownProxies: 'not-an-ip'")]
    public Task A_setting_that_cannot_work_stops_every_other_command_too(string setting, string named) =>
        RefusedByEveryCommandAsync(setting, named, ["migrate"], ["keys", "list"], ["credentials", "list"]);

    private async Task RefusedByEveryCommandAsync(string setting, string named, params string[][] commands)
    {
        foreach (var command in commands)
        {
            var (exit, stdout, stderr) = await RunAsync([.. command, setting]);

            exit.Should().Be(1, $"{string.Join(' ', command)}: {stderr}");
            stdout.Should().BeEmpty();
            stderr.TrimEnd().Split('\n').Should().ContainSingle().Which.Should().StartWith("lkm: ").And.Contain(named).And.NotContain("DataAnnotation");
            Directory.EnumerateFileSystemEntries(WorkingDirectory).Should().BeEmpty($"{string.Join(' ', command)} stopped before it set anything up");
        }
    }

    [Theory]
    [InlineData("serve", "--urls=http://127.0.0.1:0")]
    [InlineData("keys", "list")]
    public async Task Two_settings_that_cannot_work_are_both_named_in_one_line(params string[] command)
    {
        var (exit, _, stderr) = await RunAsync([.. command, "--KeyCache:MaxKeypairs=0", "--RequestLog:RetentionDays=-5"]);

        exit.Should().Be(1, stderr);
        stderr.TrimEnd().Split('\n').Should().ContainSingle().Which.Should().StartWith("lkm: ")
            .And.Contain("KeyCache:MaxKeypairs must be 1 to 1000000.").And.Contain("RequestLog:RetentionDays must be 0")
            .And.NotContain("AggregateException").And.NotContain("DataAnnotation");
        Directory.EnumerateFileSystemEntries(WorkingDirectory).Should().BeEmpty();
    }

    [Fact]
    public async Task A_connection_string_that_does_not_parse_is_named_without_repeating_any_of_it()
    {
        // An unquoted ';' in a password reads as a keyword, which the provider's own message names.
        var (exit, _, stderr) = await RunAsync("serve", "--urls=http://127.0.0.1:0", "--Database:Provider=Postgres", "--ConnectionStrings:KeyManager=Host=db;Password=se;cretpart=x");

        exit.Should().Be(1, stderr);
        stderr.Should().Contain("ConnectionStrings:KeyManager cannot be read").And.NotContain("cretpart");
    }

    [Fact]
    public async Task A_command_that_only_reads_does_not_complete_an_installation_migrate_began()
    {
        (await RunAsync("migrate")).ExitCode.Should().Be(0);

        var (exit, stdout, stderr) = await RunAsync("credentials", "list");

        exit.Should().Be(1, stderr);
        stdout.Should().BeEmpty();
        stderr.TrimEnd().Split('\n').Should().ContainSingle().Which.Should().Contain("There is no master key file at").And.Contain("this command does not create one");
        File.Exists(Path.Combine(WorkingDirectory, "lkm.masterkey.json")).Should().BeFalse();
    }

    [Fact]
    public async Task An_empty_key_file_setting_is_unset_and_the_default_key_file_beside_the_database_is_used()
    {
        var empty = new Dictionary<string, string> { ["KeyProtection__Local__KeyFile"] = string.Empty };

        var (exit, stdout, stderr) = await RunWithEnvironmentAsync(empty, "credentials", "create", "--id", "genesys-empty-setting");
        var list = await RunWithEnvironmentAsync(empty, "credentials", "list");

        exit.Should().Be(0, stderr);
        JsonSerializer.Deserialize<JsonElement>(stdout).GetProperty("id").GetString().Should().Be("genesys-empty-setting");
        File.Exists(Path.Combine(WorkingDirectory, "lkm.masterkey.json")).Should().BeTrue("an empty KeyFile is the default key file beside the database");
        list.ExitCode.Should().Be(0, list.Stderr);
        JsonSerializer.Deserialize<JsonElement[]>(list.Stdout).Should().ContainSingle();
    }

    /// <summary>
    /// A server database that does not answer (a closed port). For SqlServer this also shows the
    /// client gets past its globalization check to the network: in globalization-invariant mode
    /// SQL Server's client refuses every connection with an abort and a trace.
    /// </summary>
    [Theory]
    [InlineData("Postgres", "Host=127.0.0.1;Port=1;Username=lkm;Password=not-logged;Timeout=3")]
    [InlineData("SqlServer", "Server=tcp:127.0.0.1,1;User ID=lkm;Password=not-logged;Encrypt=false;Connect Timeout=3")]
    public async Task A_database_that_does_not_answer_is_one_line_and_exit_code_1_not_a_crash(string provider, string connectionString)
    {
        var masterKey = Convert.ToBase64String(System.Security.Cryptography.RandomNumberGenerator.GetBytes(32));

        var (exit, stdout, stderr) = await RunAsync("credentials", "list", $"--Database:Provider={provider}",
            $"--ConnectionStrings:KeyManager={connectionString}", $"--KeyProtection:Local:Keys:1={masterKey}");

        exit.Should().Be(1);
        stdout.Should().BeEmpty();
        stderr.Should().StartWith("lkm: The database could not be used: ").And.NotContain("Invariant");
        stderr.TrimEnd().Split('\n').Should().ContainSingle();
        stderr.Should().NotContain("not-logged").And.NotContain(masterKey);
    }
}
