using System.Diagnostics;
using System.Text.Json;

namespace LocalKeyManager.Api.FunctionalTests;

/// <summary>The real executable, as an operator or a container entrypoint runs it.</summary>
public sealed class CommandLineTests : IDisposable
{
    private readonly string _directory = Directory.CreateTempSubdirectory("lkm-cli-").FullName;
    private readonly Dictionary<string, string> _environment = [];

    public void Dispose() => Directory.Delete(_directory, recursive: true);

    private Task<(int ExitCode, string Stdout, string Stderr)> RunAsync(params string[] args) =>
        RunWithEnvironmentAsync(new Dictionary<string, string>(), args);

    private async Task<(int ExitCode, string Stdout, string Stderr)> RunWithEnvironmentAsync(Dictionary<string, string> environment, params string[] args)
    {
        var dll = Path.Combine(AppContext.BaseDirectory, "lkm.dll");
        var info = new ProcessStartInfo("dotnet") { WorkingDirectory = _directory, RedirectStandardOutput = true, RedirectStandardError = true };
        info.ArgumentList.Add(dll);
        foreach (var (name, value) in _environment)
        {
            info.Environment[name] = value;
        }

        foreach (var arg in args)
        {
            info.ArgumentList.Add(arg);
        }

        foreach (var (name, value) in environment)
        {
            info.Environment[name] = value;
        }

        using var process = Process.Start(info)!;
        var stdout = process.StandardOutput.ReadToEndAsync(TestContext.Current.CancellationToken);
        var stderr = process.StandardError.ReadToEndAsync(TestContext.Current.CancellationToken);
        await process.WaitForExitAsync(TestContext.Current.CancellationToken);
        return (process.ExitCode, await stdout, await stderr);
    }

    [Fact]
    public async Task Credentials_create_prints_only_the_post_auth_json_and_the_key_works_in_the_service()
    {
        var (exit, stdout, stderr) = await RunAsync("credentials", "create", "--id", "admin-bootstrap", "--role", "admin");

        exit.Should().Be(0, stderr);
        var json = JsonSerializer.Deserialize<JsonElement>(stdout);
        json.EnumerateObject().Select(p => p.Name).Should().Equal("id", "authKey", "algorithm");
        json.GetProperty("id").GetString().Should().Be("admin-bootstrap");
        stdout.Trim().Split('\n').Should().ContainSingle();
        File.Exists(Path.Combine(_directory, "lkm.db")).Should().BeTrue("the embedded default keeps lkm.db in the working directory");

        await using var service = new LkmFactory(_directory);
        using var client = service.CreateHawkClient(new HawkCredentials("admin-bootstrap", json.GetProperty("authKey").GetString()!));
        (await client.GetAsync("/key-management/v1/auth", TestContext.Current.CancellationToken)).StatusCode.Should().Be(System.Net.HttpStatusCode.OK);
    }

    [Fact]
    public async Task Credentials_list_and_revoke_print_json_without_keys()
    {
        var created = JsonSerializer.Deserialize<JsonElement>((await RunAsync("credentials", "create", "--id", "genesys-cli", "--algorithm", "sha1")).Stdout);

        var (listExit, list, _) = await RunAsync("credentials", "list");
        var (revokeExit, revoked, _) = await RunAsync("credentials", "revoke", "--id", "genesys-cli");

        listExit.Should().Be(0);
        revokeExit.Should().Be(0);
        list.Should().NotContain(created.GetProperty("authKey").GetString());
        JsonSerializer.Deserialize<JsonElement[]>(list)!.Single().GetProperty("role").GetString().Should().Be("genesys");
        created.GetProperty("algorithm").GetString().Should().Be("sha1");
        JsonSerializer.Deserialize<JsonElement[]>(list)!.Single().GetProperty("algorithm").GetString().Should().Be("sha1");
        JsonSerializer.Deserialize<JsonElement>(revoked).GetProperty("revoked").GetBoolean().Should().BeTrue();
    }

    [Theory]
    [InlineData(1, "credentials", "create", "--id", "x")]
    [InlineData(2, "credentials", "create")]
    [InlineData(2, "credentials", "explode")]
    [InlineData(2, "frobnicate")]
    [InlineData(1, "credentials", "revoke", "--id", "nobody-here")]
    [InlineData(1, "credentials", "create", "--id", "genesys-md5", "--algorithm", "md5")]
    [InlineData(1, "credentials", "list", "--Database:Provider=Oracle")]
    public async Task Failures_exit_non_zero_with_one_line_on_stderr_and_nothing_on_stdout(int expectedExit, params string[] args)
    {
        (await RunAsync("credentials", "create", "--id", "setup-admin", "--role", "admin")).ExitCode.Should().Be(0, "an existing installation, past its first-run warnings");

        var (exit, stdout, stderr) = await RunAsync(args);

        exit.Should().Be(expectedExit);
        stdout.Should().BeEmpty();
        stderr.Trim().Split('\n').Should().ContainSingle().Which.Should().StartWith("lkm: ");
    }

    [Fact]
    public async Task A_duplicate_id_exits_1_and_keeps_the_first()
    {
        var first = await RunAsync("credentials", "create", "--id", "genesys-twice");
        var second = await RunAsync("credentials", "create", "--id", "genesys-twice");

        first.ExitCode.Should().Be(0);
        second.ExitCode.Should().Be(1);
        second.Stderr.Should().Contain("already exists");
    }

    [Theory]
    [InlineData(">/dev/full", "No space left on device")]
    [InlineData(">&-", "stdout is closed or cannot be written")]
    public async Task A_new_credential_whose_key_cannot_be_printed_is_removed_and_its_id_stays_free(string redirect, string why)
    {
        if (OperatingSystem.IsWindows())
        {
            Assert.Skip("a Unix shell's redirections");
            return;
        }

        (await RunAsync("credentials", "create", "--id", "admin-setup", "--role", "admin")).ExitCode.Should().Be(0, "an installation, past its first-run warning");
        var info = new ProcessStartInfo("sh") { WorkingDirectory = _directory, RedirectStandardError = true };
        foreach (var arg in new[] { "-c", $"exec \"$0\" \"$@\" {redirect}", "dotnet", Path.Combine(AppContext.BaseDirectory, "lkm.dll"), "credentials", "create", "--id", "genesys-unseen" })
        {
            info.ArgumentList.Add(arg);
        }

        using var process = Process.Start(info)!;
        var stderr = await process.StandardError.ReadToEndAsync(TestContext.Current.CancellationToken);
        await process.WaitForExitAsync(TestContext.Current.CancellationToken);
        var list = JsonSerializer.Deserialize<JsonElement[]>((await RunAsync("credentials", "list")).Stdout)!;
        var retry = await RunAsync("credentials", "create", "--id", "genesys-unseen");

        process.ExitCode.Should().Be(1);
        stderr.TrimEnd().Split('\n').Should().ContainSingle().Which.Should()
            .Be($"lkm: could not print the new credential ({why}); credential 'genesys-unseen' was removed, nothing was created");
        list.Select(c => c.GetProperty("id").GetString()).Should().Equal(["admin-setup"], "no credential is left whose key nobody saw");
        retry.ExitCode.Should().Be(0, retry.Stderr);
        JsonSerializer.Deserialize<JsonElement>(retry.Stdout).GetProperty("id").GetString().Should().Be("genesys-unseen");
    }

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
    public async Task Serve_refused_for_its_master_key_is_one_line_on_stderr_and_no_exception_on_the_log()
    {
        (await RunAsync("credentials", "create", "--id", "genesys-wrapped")).ExitCode.Should().Be(0, "a credential wrapped under the key file");
        File.Delete(Path.Combine(_directory, "lkm.masterkey.json"));

        var (exit, stdout, stderr) = await RunAsync("serve", "--urls", "http://127.0.0.1:0");

        exit.Should().Be(1);
        stderr.Should().StartWith("lkm: Master key file ");
        stderr.TrimEnd().Split('\n').Should().ContainSingle();
        stdout.Should().NotContain("Exception").And.NotContain("Hosting failed to start", "the refusal is the one line on stderr, not also a trace on the log");
    }

    [Fact]
    public async Task Master_key_rotate_with_keys_in_configuration_says_it_added_no_version()
    {
        var masterKey = Convert.ToBase64String(System.Security.Cryptography.RandomNumberGenerator.GetBytes(32));

        (await RunAsync("migrate")).ExitCode.Should().Be(0);
        var (exit, stdout, stderr) = await RunAsync("master-key", "rotate", $"--KeyProtection:Local:Keys:1={masterKey}");

        exit.Should().Be(0, stderr);
        JsonSerializer.Deserialize<JsonElement>(stdout).GetProperty("activeVersion").GetInt32().Should().Be(1);
        stderr.Should().Contain("no version was added").And.Contain("KeyProtection:Local:ActiveVersion").And.NotContain(masterKey);
    }

    [Fact]
    public async Task Keys_import_of_a_multi_prime_key_is_one_line_and_exit_code_1_and_stores_nothing()
    {
        var file = Path.Combine(_directory, "three-primes.pem");
        var openssl = Process.Start(new ProcessStartInfo("openssl", ["genrsa", "-primes", "3", "-out", file, "2048"]) { RedirectStandardError = true })!;
        await openssl.WaitForExitAsync(TestContext.Current.CancellationToken);
        openssl.ExitCode.Should().Be(0, "openssl makes the three-prime key");

        (await RunAsync("credentials", "create", "--id", "import-setup")).ExitCode.Should().Be(0, "the first run makes the database and its master key file, with a warning");
        var (exit, stdout, stderr) = await RunAsync("keys", "import", "--file", file);
        var (_, list, _) = await RunAsync("keys", "list");

        exit.Should().Be(1);
        stdout.Should().BeEmpty();
        stderr.Should().StartWith("lkm: ").And.Contain("multi-prime");
        stderr.TrimEnd().Split('\n').Should().ContainSingle();
        JsonSerializer.Deserialize<JsonElement[]>(list).Should().BeEmpty();
    }

    [Fact]
    public async Task Keys_import_of_an_endless_file_is_refused_after_64_KiB_in_one_line()
    {
        (await RunAsync("credentials", "create", "--id", "import-setup")).ExitCode.Should().Be(0);

        var (exit, stdout, stderr) = await RunAsync("keys", "import", "--file", "/dev/zero");
        var (_, list, _) = await RunAsync("keys", "list");

        exit.Should().Be(1);
        stdout.Should().BeEmpty();
        stderr.Should().Be("lkm: /dev/zero is larger than 64 KiB: not a key file." + Environment.NewLine);
        JsonSerializer.Deserialize<JsonElement[]>(list).Should().BeEmpty();
    }

    [Theory]
    [InlineData("base64")]
    [InlineData("der")]
    public async Task Keys_import_takes_a_file_as_the_original_stored_it_or_binary_der_and_keys_list_shows_it(string form)
    {
        using var original = System.Security.Cryptography.RSA.Create(3072);
        var id = Guid.NewGuid().ToString();
        var file = Path.Combine(_directory, "key." + form);
        if (form == "der")
        {
            await File.WriteAllBytesAsync(file, original.ExportRSAPrivateKey(), TestContext.Current.CancellationToken);
        }
        else
        {
            await File.WriteAllTextAsync(file, Convert.ToBase64String(original.ExportRSAPrivateKey()), TestContext.Current.CancellationToken);
        }

        var (exit, stdout, stderr) = await RunAsync("keys", "import", "--file", file, "--id", id, "--date-created", "1479389944924");
        var (listExit, list, _) = await RunAsync("keys", "list");

        exit.Should().Be(0, stderr);
        var json = JsonSerializer.Deserialize<JsonElement>(stdout);
        json.GetProperty("id").GetString().Should().Be(id);
        json.GetProperty("dateCreated").GetInt64().Should().Be(1479389944924);
        listExit.Should().Be(0);
        JsonSerializer.Deserialize<JsonElement[]>(list)!.Single().GetProperty("id").GetString().Should().Be(id);
        var publicKey = Convert.ToBase64String(original.ExportRSAPublicKey());
        list.Should().Contain($"\"publicKey\":\"{publicKey}\"", "the command line prints the same JSON text as GET /keypair ('+' not escaped)");
        (stdout + list + stderr).Should().NotContain(Convert.ToBase64String(original.ExportRSAPrivateKey())[..40]);
    }

    [Fact]
    public async Task Serve_with_a_pkcs11_module_that_cannot_initialise_stops_with_one_line()
    {
        var module = Environment.GetEnvironmentVariable("LKM_TEST_PKCS11_MODULE");
        Assert.SkipWhen(module is null || !module.Contains("softhsm", StringComparison.Ordinal), "LKM_TEST_PKCS11_MODULE is not SoftHSM2's: run scripts/test.sh, which creates a SoftHSM2 token");
        _environment["SOFTHSM2_CONF"] = Path.Combine(_directory, "no-such-softhsm2.conf");

        var (exit, stdout, stderr) = await RunAsync(
            "serve", "--urls", "http://127.0.0.1:0", "--KeyProtection:Provider=Pkcs11", $"--KeyProtection:Pkcs11:ModulePath={module}",
            "--KeyProtection:Pkcs11:TokenLabel=any", "--KeyProtection:Pkcs11:Pin=1234");

        exit.Should().Be(1, stdout + stderr);
        stderr.TrimEnd().Split('\n').Should().ContainSingle().Which.Should().StartWith($"lkm: The PKCS#11 module {module} could not be initialised (CKR_");
        (stdout + stderr).Should().NotContain("Unhandled exception").And.NotContain("   at ");
    }

    [Fact]
    public async Task Commands_that_change_the_installation_are_in_the_request_log_under_the_operators_account()
    {
        var admin = JsonSerializer.Deserialize<JsonElement>((await RunAsync("credentials", "create", "--id", "admin-records", "--role", "admin")).Stdout);
        var genesys = JsonSerializer.Deserialize<JsonElement>((await RunAsync("credentials", "create", "--id", "genesys-records")).Stdout);
        (await RunAsync("credentials", "revoke", "--id", "genesys-records")).ExitCode.Should().Be(0);
        using var rsa = System.Security.Cryptography.RSA.Create(2048);
        var file = Path.Combine(_directory, "imported.pem");
        await File.WriteAllTextAsync(file, rsa.ExportRSAPrivateKeyPem(), TestContext.Current.CancellationToken);
        var id = Guid.NewGuid().ToString();
        (await RunAsync("keys", "import", "--file", file, "--id", id)).ExitCode.Should().Be(0);
        (await RunAsync("keys", "list")).ExitCode.Should().Be(0);

        JsonElement[] entries;
        await using (var service = new LkmFactory(_directory))
        {
            using var client = service.CreateHawkClient(new HawkCredentials("admin-records", admin.GetProperty("authKey").GetString()!));
            entries = (await System.Net.Http.Json.HttpClientJsonExtensions.GetFromJsonAsync<JsonElement[]>(client, "/key-management/v1/request-log", TestContext.Current.CancellationToken))!;
        }

        var commands = entries.Where(e => e.GetProperty("credentialId").GetString() == "(command line)").Reverse().ToList();
        commands.Select(e => (e.GetProperty("requestMethod").GetString(), e.GetProperty("requestUri").GetString(), e.GetProperty("status").GetInt32()))
            .Should().Equal(("CLI", "lkm credentials create", 200), ("CLI", "lkm credentials create", 200), ("CLI", "lkm credentials revoke", 200), ("CLI", "lkm keys import", 200));
        commands.Should().OnlyContain(e => e.GetProperty("userId").GetString() == Environment.UserName, "the account that ran the command");
        commands.Select(e => e.GetProperty("detail").GetString()).Should().Equal(
            "Registered credential 'admin-records' with role admin (sha256).",
            "Registered credential 'genesys-records' with role genesys (sha256).",
            "Revoked credential 'genesys-records' (role genesys).",
            $"Imported keypair {id} from a key file.");
        commands[^1].GetProperty("keypairId").GetString().Should().Be(id);
        var text = string.Join("\n", entries.Select(e => e.GetRawText()));
        text.Should().NotContain(admin.GetProperty("authKey").GetString()).And.NotContain(genesys.GetProperty("authKey").GetString());
        (await RunAsync("audit", "verify")).ExitCode.Should().Be(0, "the command line's entries are links of the one chain");
    }

    [Fact]
    public async Task A_command_whose_entry_the_request_log_refuses_takes_back_what_it_made()
    {
        (await RunAsync("credentials", "create", "--id", "admin-refused", "--role", "admin")).ExitCode.Should().Be(0);
        using var rsa = System.Security.Cryptography.RSA.Create(2048);
        var file = Path.Combine(_directory, "key.pem");
        await File.WriteAllTextAsync(file, rsa.ExportRSAPrivateKeyPem(), TestContext.Current.CancellationToken);
        (await RunAsync("keys", "import", "--file", file)).ExitCode.Should().Be(0);
        var database = $"Data Source={Path.Combine(_directory, "lkm.db")};Pooling=false";

        // The request log takes no more rows.
        await ExecuteSqliteAsync(database, "CREATE TRIGGER refuse_entries BEFORE INSERT ON request_log BEGIN SELECT RAISE(ABORT, 'no entries'); END;");
        var backup = Path.Combine(_directory, "keys.lkmbackup");
        var export = await RunWithEnvironmentAsync(new() { ["LKM_BACKUP_SECRET"] = "a passphrase long enough" }, "keys", "export-backup", "--out", backup, "--passphrase-env", "LKM_BACKUP_SECRET");
        var create = await RunAsync("credentials", "create", "--id", "genesys-unrecorded");
        await ExecuteSqliteAsync(database, "DROP TRIGGER refuse_entries;");
        var list = await RunAsync("credentials", "list");

        export.ExitCode.Should().Be(1);
        export.Stderr.TrimEnd().Split('\n').Should().ContainSingle().Which.Should().EndWith($"The request log could not record the export, so {backup} was deleted again: no backup was made.");
        File.Exists(backup).Should().BeFalse("every private key leaving the installation is on record, or does not leave");
        create.ExitCode.Should().Be(1);
        create.Stdout.Should().BeEmpty("the key of a credential the log does not name is never shown");
        create.Stderr.TrimEnd().Split('\n').Should().ContainSingle().Which.Should().StartWith("lkm: could not record the new credential in the request log")
            .And.EndWith("credential 'genesys-unrecorded' was removed, nothing was created");
        list.Stdout.Should().NotContain("genesys-unrecorded");
    }

    private static async Task ExecuteSqliteAsync(string connectionString, string sql)
    {
        await using var connection = new Microsoft.Data.Sqlite.SqliteConnection(connectionString);
        await connection.OpenAsync(TestContext.Current.CancellationToken);
        await using var command = connection.CreateCommand();
        command.CommandText = sql;
        await command.ExecuteNonQueryAsync(TestContext.Current.CancellationToken);
    }

    [Fact]
    public async Task Audit_verify_needs_the_database_only_not_the_master_key()
    {
        (await RunAsync("credentials", "create", "--id", "admin-auditor", "--role", "admin")).ExitCode.Should().Be(0);
        File.Delete(Path.Combine(_directory, "lkm.masterkey.json"));

        // No key file (a missing one is not made again for a database that has keys), and an HSM
        // module that does not exist: neither is opened.
        var withoutKeyFile = await RunAsync("audit", "verify");
        var withoutHsm = await RunAsync(
            "audit", "verify", "--KeyProtection:Provider=Pkcs11", $"--KeyProtection:Pkcs11:ModulePath={Path.Combine(_directory, "no-such-module.so")}",
            "--KeyProtection:Pkcs11:TokenLabel=any", "--KeyProtection:Pkcs11:Pin=1234");

        foreach (var (exit, stdout, stderr) in new[] { withoutKeyFile, withoutHsm })
        {
            exit.Should().Be(0, stderr);
            JsonSerializer.Deserialize<JsonElement>(stdout).GetProperty("intact").GetBoolean().Should().BeTrue();
        }

        File.Exists(Path.Combine(_directory, "lkm.masterkey.json")).Should().BeFalse("verifying the log makes no master key");
    }

    [Fact]
    public async Task With_an_hsm_master_key_rotate_rewraps_under_the_new_key_label_and_status_shows_it()
    {
        var module = Environment.GetEnvironmentVariable("LKM_TEST_PKCS11_MODULE");
        var token = Environment.GetEnvironmentVariable("LKM_TEST_PKCS11_TOKEN");
        var pin = Environment.GetEnvironmentVariable("LKM_TEST_PKCS11_PIN");
        Assert.SkipWhen(module is null || token is null || pin is null, "LKM_TEST_PKCS11_* are not set: run scripts/test.sh, which creates a SoftHSM2 token");
        var (first, second) = ("lkm-cli-" + Guid.NewGuid().ToString("N")[..8], "lkm-cli-" + Guid.NewGuid().ToString("N")[..8]);
        using (var hsm = Infrastructure.Crypto.KeyProtection.Pkcs11.Pkcs11Token.Open(module!, token!, pin!))
        {
            hsm.CreateAesKey(first);
            hsm.CreateAesKey(second);
        }

        string[] Hsm(string label, params string[] previous) =>
            [$"--KeyProtection:Provider=Pkcs11", $"--KeyProtection:Pkcs11:ModulePath={module}", $"--KeyProtection:Pkcs11:TokenLabel={token}",
             $"--KeyProtection:Pkcs11:Pin={pin}", $"--KeyProtection:Pkcs11:KeyLabel={label}",
             .. previous.Select((p, i) => $"--KeyProtection:Pkcs11:PreviousKeyLabels:{i}={p}")];
        using var original = System.Security.Cryptography.RSA.Create(2048);
        var file = Path.Combine(_directory, "key.pem");
        await File.WriteAllTextAsync(file, original.ExportRSAPrivateKeyPem(), TestContext.Current.CancellationToken);
        (await RunAsync(["keys", "import", "--file", file, .. Hsm(first)])).ExitCode.Should().Be(0);

        var before = await RunAsync(["master-key", "status", .. Hsm(first)]);
        var withoutPrevious = await RunAsync(["master-key", "status", .. Hsm(second)]);
        var rotate = await RunAsync(["master-key", "rotate", .. Hsm(second, first)]);
        var after = await RunAsync(["master-key", "status", .. Hsm(second)]);
        var retire = await RunAsync(["master-key", "retire", "--version", "1", .. Hsm(second)]);

        before.ExitCode.Should().Be(0, before.Stderr);
        JsonSerializer.Deserialize<JsonElement>(before.Stdout).GetProperty("activeKey").GetString().Should().Be("pkcs11:" + first);
        withoutPrevious.ExitCode.Should().Be(1, "the stored key is wrapped under a label this configuration does not have");
        withoutPrevious.Stderr.Should().Contain("PreviousKeyLabels");
        rotate.ExitCode.Should().Be(0, rotate.Stderr);
        var summary = JsonSerializer.Deserialize<JsonElement>(rotate.Stdout);
        summary.GetProperty("rewrappedKeypairs").GetInt32().Should().Be(1);
        summary.GetProperty("usage").EnumerateObject().Select(p => p.Name).Should().Equal("pkcs11:" + second);
        after.ExitCode.Should().Be(0, after.Stderr);
        JsonSerializer.Deserialize<JsonElement>(after.Stdout).GetProperty("usage").GetProperty("pkcs11:" + second).GetInt32().Should().Be(1);
        retire.ExitCode.Should().Be(1);
        retire.Stderr.TrimEnd().Split('\n').Should().ContainSingle().Which.Should().Contain("remove it from KeyProtection:Pkcs11:PreviousKeyLabels");
        File.Exists(Path.Combine(_directory, "lkm.masterkey.json")).Should().BeFalse();
    }

    [Theory]
    [InlineData("lkm.masterkey.json", "The master key file")]
    [InlineData("lkm.db", "The database file")]
    public async Task A_file_others_may_read_is_warned_about_on_stderr_and_stdout_stays_clean(string name, string warning)
    {
        if (OperatingSystem.IsWindows())
        {
            Assert.Skip("Unix file modes only");
            return;
        }

        (await RunAsync("credentials", "create", "--id", "mode-check")).ExitCode.Should().Be(0);
        var file = Path.Combine(_directory, name);
        var quiet = await RunAsync("credentials", "list");
        File.SetUnixFileMode(file, UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.GroupRead | UnixFileMode.OtherRead);

        var (exit, stdout, stderr) = await RunAsync("credentials", "list");

        quiet.Stderr.Should().NotContain("may be read by other users", "the service made both files owner-only");
        exit.Should().Be(0);
        JsonSerializer.Deserialize<JsonElement[]>(stdout).Should().ContainSingle();
        stderr.Should().Contain($"{warning} {file} may be read by other users (mode 644)");
    }

    [Fact]
    public async Task A_schema_a_newer_version_migrated_is_said_to_be_ahead_by_migrate_and_at_start_up()
    {
        (await RunAsync("credentials", "create", "--id", "schema-ahead")).ExitCode.Should().Be(0);
        var future = "29991231235959_FromANewerVersion";
        await using (var connection = new Microsoft.Data.Sqlite.SqliteConnection($"Data Source={Path.Combine(_directory, "lkm.db")};Pooling=false"))
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

    private static async Task ExecuteOnPostgresServerAsync(params string[] statements)
    {
        await using var server = new Npgsql.NpgsqlConnection(TestSupport.TestDatabase.PostgresServer);
        await server.OpenAsync(TestContext.Current.CancellationToken);
        foreach (var statement in statements)
        {
            await using var command = new Npgsql.NpgsqlCommand(statement, server);
            await command.ExecuteNonQueryAsync(TestContext.Current.CancellationToken);
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

    [Fact]
    public async Task Master_key_rotate_from_the_command_line_rewraps_and_the_service_still_decrypts()
    {
        using var original = System.Security.Cryptography.RSA.Create(2048);
        var file = Path.Combine(_directory, "key.pem");
        await File.WriteAllTextAsync(file, original.ExportRSAPrivateKeyPem(), TestContext.Current.CancellationToken);
        var id = Guid.NewGuid().ToString();
        (await RunAsync("keys", "import", "--file", file, "--id", id)).ExitCode.Should().Be(0);
        var admin = JsonSerializer.Deserialize<JsonElement>((await RunAsync("credentials", "create", "--id", "admin-rotate", "--role", "admin")).Stdout);

        var (exit, stdout, stderr) = await RunAsync("master-key", "rotate", "--batch", "1");
        var status = JsonSerializer.Deserialize<JsonElement>((await RunAsync("master-key", "status")).Stdout);
        var retire = await RunAsync("master-key", "retire", "--version", "1");

        exit.Should().Be(0, stderr);
        stderr.Should().Contain("version 2 is now active").And.Contain("re-wrapped 1 keypair(s)");
        var summary = JsonSerializer.Deserialize<JsonElement>(stdout);
        summary.GetProperty("activeVersion").GetInt32().Should().Be(2);
        summary.GetProperty("rewrappedKeypairs").GetInt32().Should().Be(1);
        summary.GetProperty("rewrappedCredentials").GetInt32().Should().Be(1);
        status.GetProperty("usage").EnumerateObject().Select(p => p.Name).Should().Equal("local:v2");
        retire.ExitCode.Should().Be(0, retire.Stderr);
        var retireAgain = await RunAsync("master-key", "retire", "--version", "1");
        retireAgain.ExitCode.Should().Be(1);
        retireAgain.Stderr.Should().StartWith("lkm: There is no master key version 1 in ");

        await using var service = new LkmFactory(_directory);
        using var client = service.CreateHawkClient(new HawkCredentials("admin-rotate", admin.GetProperty("authKey").GetString()!));
        var secret = System.Security.Cryptography.RandomNumberGenerator.GetBytes(32);
        var body = new { keypairId = id, body = Convert.ToBase64String(original.Encrypt(secret, System.Security.Cryptography.RSAEncryptionPadding.OaepSHA1)) };
        var decrypted = await System.Net.Http.Json.HttpClientJsonExtensions.PostAsJsonAsync(client, "/key-management/v1/decrypt", body, TestContext.Current.CancellationToken);
        Convert.FromBase64String((await decrypted.JsonAsync()).GetProperty("body").GetString()!).Should().Equal(secret);
    }

    [Fact]
    public async Task Master_key_rotate_resume_is_a_flag_and_adds_no_version()
    {
        (await RunAsync("credentials", "create", "--id", "admin-resume", "--role", "admin")).ExitCode.Should().Be(0);

        var (exit, stdout, stderr) = await RunAsync("master-key", "rotate", "--resume", "--batch", "1");

        exit.Should().Be(0, stderr);
        stderr.Should().NotContain("now active");
        var summary = JsonSerializer.Deserialize<JsonElement>(stdout);
        summary.GetProperty("activeVersion").GetInt32().Should().Be(1);
        summary.GetProperty("rewrappedCredentials").GetInt32().Should().Be(0);
        summary.GetProperty("usage").EnumerateObject().Select(p => p.Name).Should().Equal("local:v1");
    }

    [Fact]
    public async Task Master_key_rotate_that_the_database_stops_half_way_says_to_resume_it()
    {
        (await RunAsync("credentials", "create", "--id", "admin-stopped", "--role", "admin")).ExitCode.Should().Be(0);

        // Another process holds the file's write lock (an open sqlite3 transaction): the new version
        // is made active in the key file, and then no key can be re-wrapped.
        await using var other = new Microsoft.Data.Sqlite.SqliteConnection($"Data Source={Path.Combine(_directory, "lkm.db")};Pooling=false");
        await other.OpenAsync(TestContext.Current.CancellationToken);
        await using (var begin = other.CreateCommand())
        {
            begin.CommandText = "BEGIN IMMEDIATE;";
            await begin.ExecuteNonQueryAsync(TestContext.Current.CancellationToken);
        }

        var (exit, stdout, stderr) = await RunAsync("master-key", "rotate");
        await other.CloseAsync();

        exit.Should().Be(1);
        stdout.Should().BeEmpty();
        var lines = stderr.TrimEnd().Split('\n');
        lines[0].Should().StartWith("lkm: master key version 2 is now active in ");
        lines[^1].Should().StartWith("lkm: The database could not be used: ")
            .And.EndWith("The rotation stopped before every key was re-wrapped: run 'master-key rotate --resume' once this is fixed to finish it without adding another version.");
        var resumed = await RunAsync("master-key", "rotate", "--resume");
        resumed.ExitCode.Should().Be(0, resumed.Stderr);
        JsonSerializer.Deserialize<JsonElement>(resumed.Stdout).GetProperty("usage").EnumerateObject().Select(p => p.Name).Should().Equal("local:v2");
    }

    [Fact]
    public async Task Audit_verify_passes_on_the_services_log_and_names_the_entry_someone_altered()
    {
        var admin = JsonSerializer.Deserialize<JsonElement>((await RunAsync("credentials", "create", "--id", "admin-audit", "--role", "admin")).Stdout);
        await using (var service = new LkmFactory(_directory))
        {
            using var client = service.CreateHawkClient(new HawkCredentials("admin-audit", admin.GetProperty("authKey").GetString()!));
            for (var i = 0; i < 5; i++)
            {
                (await client.GetAsync("/key-management/v1/keypair", TestContext.Current.CancellationToken)).StatusCode.Should().Be(System.Net.HttpStatusCode.OK);
            }
        }

        var (intactExit, intact, _) = await RunAsync("audit", "verify");
        await using (var connection = new Microsoft.Data.Sqlite.SqliteConnection($"Data Source={Path.Combine(_directory, "lkm.db")};Pooling=false"))
        {
            await connection.OpenAsync(TestContext.Current.CancellationToken);
            await using var command = connection.CreateCommand();
            command.CommandText = "UPDATE request_log SET user_id = 'someone-else' WHERE seq = 3";
            (await command.ExecuteNonQueryAsync(TestContext.Current.CancellationToken)).Should().Be(1);
        }

        var (brokenExit, broken, stderr) = await RunAsync("audit", "verify");

        intactExit.Should().Be(0);
        JsonSerializer.Deserialize<JsonElement>(intact).GetProperty("entries").GetInt64().Should().Be(6, "the credential's creation and the 5 requests");
        brokenExit.Should().Be(1);
        JsonSerializer.Deserialize<JsonElement>(broken).GetProperty("brokenAtSeq").GetInt64().Should().Be(3);
        stderr.Should().Contain("broken at entry 3").And.Contain("altered");
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
        Directory.EnumerateFileSystemEntries(_directory).Should().BeEmpty("a refused command sets up no installation and no master key");
    }

    [Fact]
    public async Task A_key_file_that_is_not_there_is_exit_1_in_one_line_not_a_usage_error()
    {
        var missing = Path.Combine(_directory, "nope.pem");

        var (exit, stdout, stderr) = await RunAsync("keys", "import", "--file", missing);

        exit.Should().Be(1);
        stdout.Should().BeEmpty();
        stderr.TrimEnd().Split('\n').Should().ContainSingle().Which.Should().Be($"lkm: {missing} does not exist.");
        Directory.EnumerateFileSystemEntries(_directory).Should().BeEmpty();
    }

    [Fact]
    public async Task A_failure_after_a_warning_is_still_one_line_on_stderr_and_carries_the_warning()
    {
        if (OperatingSystem.IsWindows())
        {
            Assert.Skip("Unix file modes only");
            return;
        }

        // Every command warns about a master key file others may read; this one then fails.
        (await RunAsync("credentials", "create", "--id", "warning-setup")).ExitCode.Should().Be(0);
        File.SetUnixFileMode(Path.Combine(_directory, "lkm.masterkey.json"), UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.OtherRead);

        var (exit, stdout, stderr) = await RunAsync("credentials", "revoke", "--id", "nobody-here");

        exit.Should().Be(1);
        stdout.Should().BeEmpty();
        stderr.TrimEnd().Split('\n').Should().ContainSingle().Which.Should().StartWith("lkm: ")
            .And.Contain("logged before: warn: ").And.Contain("may be read by other users");
    }

    [Theory]
    [InlineData("rsa-1024", "is RSA-1024; keys below 2048 bits are refused.")]
    [InlineData("public", "is not an RSA private key")]
    [InlineData("encrypted", "is encrypted with a passphrase: decrypt it first")]
    [InlineData("two-keys", "holds more than one private key: give one.")]
    [InlineData("ec", "is not an RSA private key")]
    [InlineData("text", "is not an RSA private key")]
    [InlineData("pem-of-nothing", "is not an RSA private key")]
    public async Task Keys_import_of_a_key_the_import_refuses_creates_no_installation(string kind, string says)
    {
        using var rsa = System.Security.Cryptography.RSA.Create(kind == "rsa-1024" ? 1024 : 2048);
        using var ec = System.Security.Cryptography.ECDsa.Create();
        var content = kind switch
        {
            "rsa-1024" => rsa.ExportRSAPrivateKeyPem(),
            "public" => rsa.ExportSubjectPublicKeyInfoPem(),
            "encrypted" => rsa.ExportEncryptedPkcs8PrivateKeyPem("a passphrase", new System.Security.Cryptography.PbeParameters(
                System.Security.Cryptography.PbeEncryptionAlgorithm.Aes256Cbc, System.Security.Cryptography.HashAlgorithmName.SHA256, 100_000)),
            "ec" => ec.ExportECPrivateKeyPem(),
            "two-keys" => rsa.ExportRSAPrivateKeyPem() + "\n" + rsa.ExportPkcs8PrivateKeyPem(),
            "text" => "just some words, not a key",
            _ => "-----BEGIN NOTHING-----",
        };
        var keyFolder = Directory.CreateTempSubdirectory("lkm-cli-key-").FullName;
        var file = Path.Combine(keyFolder, "key.pem");
        await File.WriteAllTextAsync(file, content, TestContext.Current.CancellationToken);

        var (exit, stdout, stderr) = await RunAsync("keys", "import", "--file", file);
        Directory.Delete(keyFolder, recursive: true);

        exit.Should().Be(1);
        stdout.Should().BeEmpty();
        stderr.TrimEnd().Split('\n').Should().ContainSingle().Which.Should().StartWith($"lkm: {file} {says}", "the refusal names the file, not the API's field");
        Directory.EnumerateFileSystemEntries(_directory).Should().BeEmpty("a key the import refuses sets up no database and no master key file");
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
        stderr.TrimEnd().Split('\n').Should().ContainSingle().Which.Should().StartWith("lkm: There is no database at " + Path.Combine(_directory, "lkm.db"));
        Directory.EnumerateFileSystemEntries(_directory).Should().BeEmpty("a mistyped path must not become a new installation with its own master key");

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

    [Theory]
    [InlineData("credentials", "list", "--role", "admin")]
    [InlineData("keys", "list", "--id", "x")]
    [InlineData("master-key", "status", "--version", "3")]
    [InlineData("migrate", "stray")]
    [InlineData("audit", "verify", "--fix")]
    [InlineData("serve", "--port", "9000")]
    public async Task An_option_the_subcommand_does_not_take_is_a_usage_error_and_nothing_runs(params string[] args)
    {
        var (exit, stdout, stderr) = await RunAsync(args);

        exit.Should().Be(2);
        stdout.Should().BeEmpty();
        stderr.Should().StartWith("lkm: ").And.Contain("usage: lkm");
        File.Exists(Path.Combine(_directory, "lkm.db")).Should().BeFalse("the command must not have touched the default database");
    }

    [Fact]
    public async Task An_option_given_twice_is_a_usage_error_and_revokes_neither()
    {
        (await RunAsync("credentials", "create", "--id", "genesys-keep-1")).ExitCode.Should().Be(0);
        (await RunAsync("credentials", "create", "--id", "genesys-keep-2")).ExitCode.Should().Be(0);

        var (exit, stdout, stderr) = await RunAsync("credentials", "revoke", "--id", "genesys-keep-1", "--id", "genesys-keep-2");
        var list = JsonSerializer.Deserialize<JsonElement[]>((await RunAsync("credentials", "list")).Stdout)!;

        exit.Should().Be(2);
        stdout.Should().BeEmpty();
        stderr.Should().StartWith("lkm: --id is given more than once.");
        list.Should().HaveCount(2).And.OnlyContain(c => !c.GetProperty("revoked").GetBoolean());
    }

    [Theory]
    [InlineData("abc")]
    [InlineData("0")]
    [InlineData("-5")]
    public async Task A_rotation_batch_that_is_not_a_positive_number_is_a_usage_error_and_adds_no_version(string batch)
    {
        (await RunAsync("credentials", "create", "--id", "batch-setup")).ExitCode.Should().Be(0, "an installation with its key file");
        var before = (await RunAsync("master-key", "status")).Stdout;

        var (exit, stdout, stderr) = await RunAsync("master-key", "rotate", "--batch", batch);

        exit.Should().Be(2);
        stdout.Should().BeEmpty();
        stderr.Should().StartWith("lkm: --batch must be a whole number above 0.");
        (await RunAsync("master-key", "status")).Stdout.Should().Be(before);
    }

    [Theory]
    [InlineData("--urls", "notaurl")]
    [InlineData("--urls=127.0.0.1:5000")]
    public async Task A_malformed_listening_url_is_one_line_and_exit_code_1_not_a_crash(params string[] args)
    {
        var (exit, stdout, stderr) = await RunAsync(["serve", .. args]);

        exit.Should().Be(1, stderr);
        stderr.TrimEnd().Split('\n').Should().ContainSingle().Which.Should().StartWith("lkm: ");
        stderr.Should().NotContain(" at ");
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
        Directory.EnumerateFileSystemEntries(_directory).Should().BeEmpty("start-up stopped before it set anything up");
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
            Directory.EnumerateFileSystemEntries(_directory).Should().BeEmpty($"{string.Join(' ', command)} stopped before it set anything up");
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
        Directory.EnumerateFileSystemEntries(_directory).Should().BeEmpty();
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
        File.Exists(Path.Combine(_directory, "lkm.masterkey.json")).Should().BeFalse();
    }

    [Fact]
    public async Task A_master_key_version_without_the_keys_is_refused_rather_than_a_new_key_file_made()
    {
        // Most likely the keys' setting was misspelt: a key file made now would be a new master key.
        var (exit, _, stderr) = await RunAsync("serve", "--urls=http://127.0.0.1:0", "--KeyProtection:Local:ActiveVersion=7");

        exit.Should().Be(1, stderr);
        stderr.TrimEnd().Split('\n').Should().ContainSingle().Which.Should().Contain("KeyProtection:Local:ActiveVersion is 7 but no KeyProtection:Local:Keys");
        File.Exists(Path.Combine(_directory, "lkm.masterkey.json")).Should().BeFalse();
    }

    [Fact]
    public async Task An_empty_key_file_setting_is_unset_and_the_default_key_file_beside_the_database_is_used()
    {
        var empty = new Dictionary<string, string> { ["KeyProtection__Local__KeyFile"] = string.Empty };

        var (exit, stdout, stderr) = await RunWithEnvironmentAsync(empty, "credentials", "create", "--id", "genesys-empty-setting");
        var list = await RunWithEnvironmentAsync(empty, "credentials", "list");

        exit.Should().Be(0, stderr);
        JsonSerializer.Deserialize<JsonElement>(stdout).GetProperty("id").GetString().Should().Be("genesys-empty-setting");
        File.Exists(Path.Combine(_directory, "lkm.masterkey.json")).Should().BeTrue("an empty KeyFile is the default key file beside the database");
        list.ExitCode.Should().Be(0, list.Stderr);
        JsonSerializer.Deserialize<JsonElement[]>(list.Stdout).Should().ContainSingle();
    }

    [Theory]
    [InlineData("--help")]
    [InlineData("-h")]
    [InlineData("help")]
    public async Task Help_prints_the_usage_and_exits_0(string flag)
    {
        var (exit, stdout, stderr) = await RunAsync(flag);

        exit.Should().Be(0, stderr);
        stdout.Should().StartWith("usage: lkm");
        File.Exists(Path.Combine(_directory, "lkm.db")).Should().BeFalse();
    }

    [Theory]
    [InlineData("usage: lkm credentials create --id ID", "credentials", "create", "--help")]
    [InlineData("usage: lkm credentials create --id ID", "credentials", "create", "--id", "genesys-prod", "-h")]
    [InlineData("usage: lkm keys import --file FILE", "keys", "import", "-h")]
    [InlineData("usage: lkm master-key rotate", "master-key", "--help")]
    [InlineData("usage: lkm [serve]", "serve", "--help")]
    [InlineData("usage: lkm [serve]", "--urls", "http://127.0.0.1:0", "--help")]
    public async Task Help_after_a_command_prints_its_usage_and_exits_0_running_nothing(string usage, params string[] args)
    {
        var (exit, stdout, stderr) = await RunAsync(args);

        exit.Should().Be(0, stderr);
        stderr.Should().BeEmpty();
        stdout.Should().StartWith(usage);
        Directory.EnumerateFileSystemEntries(_directory).Should().BeEmpty("asking for help runs no command");
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
