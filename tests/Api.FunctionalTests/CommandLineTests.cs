using System.Diagnostics;
using System.Text.Json;

namespace LocalKeyManager.Api.FunctionalTests;

/// <summary>Credentials, keys, the audit and usage as an operator meets them on the command line.</summary>
public sealed class CommandLineTests : CommandLineHarness
{
    [Fact]
    public async Task Credentials_create_prints_only_the_post_auth_json_and_the_key_works_in_the_service()
    {
        var (exit, stdout, stderr) = await RunAsync("credentials", "create", "--id", "admin-bootstrap", "--role", "admin");

        exit.Should().Be(0, stderr);
        var json = JsonSerializer.Deserialize<JsonElement>(stdout);
        json.EnumerateObject().Select(p => p.Name).Should().Equal("id", "authKey", "algorithm");
        json.GetProperty("id").GetString().Should().Be("admin-bootstrap");
        stdout.Trim().Split('\n').Should().ContainSingle();
        File.Exists(Path.Combine(WorkingDirectory, "lkm.db")).Should().BeTrue("the embedded default keeps lkm.db in the working directory");

        await using var service = new LkmFactory(WorkingDirectory);
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
        var (exit, stderr) = await RunWithStdoutAsync(redirect, "credentials", "create", "--id", "genesys-unseen");
        var list = JsonSerializer.Deserialize<JsonElement[]>((await RunAsync("credentials", "list")).Stdout)!;
        var retry = await RunAsync("credentials", "create", "--id", "genesys-unseen");

        exit.Should().Be(1);
        stderr.TrimEnd().Split('\n').Should().ContainSingle().Which.Should()
            .Be($"lkm: could not print the new credential ({why}); credential 'genesys-unseen' was removed, nothing was created");
        list.Select(c => c.GetProperty("id").GetString()).Should().Equal(["admin-setup"], "no credential is left whose key nobody saw");
        retry.ExitCode.Should().Be(0, retry.Stderr);
        JsonSerializer.Deserialize<JsonElement>(retry.Stdout).GetProperty("id").GetString().Should().Be("genesys-unseen");
    }

    [Theory]
    [InlineData(">/dev/full", "No space left on device")]
    [InlineData(">&-", "stdout is closed or cannot be written")]
    public async Task A_change_whose_answer_cannot_be_printed_fails_in_one_line_saying_it_was_done(string redirect, string why)
    {
        if (OperatingSystem.IsWindows())
        {
            Assert.Skip("a Unix shell's redirections");
            return;
        }

        (await RunAsync("credentials", "create", "--id", "admin-setup", "--role", "admin")).ExitCode.Should().Be(0, "an installation, past its first-run warning");
        (await RunAsync("credentials", "create", "--id", "genesys-to-revoke")).ExitCode.Should().Be(0);

        var revoke = await RunWithStdoutAsync(redirect, "credentials", "revoke", "--id", "genesys-to-revoke");
        var listing = await RunWithStdoutAsync(redirect, "credentials", "list");
        var list = JsonSerializer.Deserialize<JsonElement[]>((await RunAsync("credentials", "list")).Stdout)!;

        revoke.ExitCode.Should().Be(1);
        revoke.Stderr.TrimEnd().Split('\n').Should().ContainSingle().Which.Should().Be(
            $"lkm: Could not print the answer ({why}). It was done all the same and is in the request log: Revoked credential 'genesys-to-revoke' (role genesys).");
        list.Single(c => c.GetProperty("id").GetString() == "genesys-to-revoke").GetProperty("revoked").GetBoolean().Should().BeTrue();
        listing.ExitCode.Should().Be(1);
        listing.Stderr.TrimEnd().Split('\n').Should().ContainSingle().Which.Should().Be($"lkm: Could not print the answer ({why}). Nothing was changed.");
    }

    [Fact]
    public async Task Keys_import_of_a_multi_prime_key_is_one_line_and_exit_code_1_and_stores_nothing()
    {
        var file = Path.Combine(WorkingDirectory, "three-primes.pem");
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
        var file = Path.Combine(WorkingDirectory, "key." + form);
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
        ProcessEnvironment["SOFTHSM2_CONF"] = Path.Combine(WorkingDirectory, "no-such-softhsm2.conf");

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
        var file = Path.Combine(WorkingDirectory, "imported.pem");
        await File.WriteAllTextAsync(file, rsa.ExportRSAPrivateKeyPem(), TestContext.Current.CancellationToken);
        var id = Guid.NewGuid().ToString();
        (await RunAsync("keys", "import", "--file", file, "--id", id)).ExitCode.Should().Be(0);
        (await RunAsync("keys", "list")).ExitCode.Should().Be(0);

        JsonElement[] entries;
        await using (var service = new LkmFactory(WorkingDirectory))
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
        var file = Path.Combine(WorkingDirectory, "key.pem");
        await File.WriteAllTextAsync(file, rsa.ExportRSAPrivateKeyPem(), TestContext.Current.CancellationToken);
        (await RunAsync("keys", "import", "--file", file)).ExitCode.Should().Be(0);
        var database = $"Data Source={Path.Combine(WorkingDirectory, "lkm.db")};Pooling=false";

        // The request log takes no more rows.
        await ExecuteSqliteAsync(database, "CREATE TRIGGER refuse_entries BEFORE INSERT ON request_log BEGIN SELECT RAISE(ABORT, 'no entries'); END;");
        var backup = Path.Combine(WorkingDirectory, "keys.lkmbackup");
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

    [Fact]
    public async Task Audit_verify_needs_the_database_only_not_the_master_key()
    {
        (await RunAsync("credentials", "create", "--id", "admin-auditor", "--role", "admin")).ExitCode.Should().Be(0);
        File.Delete(Path.Combine(WorkingDirectory, "lkm.masterkey.json"));

        // No key file (a missing one is not made again for a database that has keys), and an HSM
        // module that does not exist: neither is opened.
        var withoutKeyFile = await RunAsync("audit", "verify");
        var withoutHsm = await RunAsync(
            "audit", "verify", "--KeyProtection:Provider=Pkcs11", $"--KeyProtection:Pkcs11:ModulePath={Path.Combine(WorkingDirectory, "no-such-module.so")}",
            "--KeyProtection:Pkcs11:TokenLabel=any", "--KeyProtection:Pkcs11:Pin=1234");

        foreach (var (exit, stdout, stderr) in new[] { withoutKeyFile, withoutHsm })
        {
            exit.Should().Be(0, stderr);
            JsonSerializer.Deserialize<JsonElement>(stdout).GetProperty("intact").GetBoolean().Should().BeTrue();
        }

        File.Exists(Path.Combine(WorkingDirectory, "lkm.masterkey.json")).Should().BeFalse("verifying the log makes no master key");
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
        var file = Path.Combine(WorkingDirectory, name);
        var quiet = await RunAsync("credentials", "list");
        File.SetUnixFileMode(file, UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.GroupRead | UnixFileMode.OtherRead);

        var (exit, stdout, stderr) = await RunAsync("credentials", "list");

        quiet.Stderr.Should().NotContain("may be read by other users", "the service made both files owner-only");
        exit.Should().Be(0);
        JsonSerializer.Deserialize<JsonElement[]>(stdout).Should().ContainSingle();
        stderr.Should().Contain($"{warning} {file} may be read by other users (mode 644)");
    }

    [Fact]
    public async Task Audit_verify_passes_on_the_services_log_and_names_the_entry_someone_altered()
    {
        var admin = JsonSerializer.Deserialize<JsonElement>((await RunAsync("credentials", "create", "--id", "admin-audit", "--role", "admin")).Stdout);
        await using (var service = new LkmFactory(WorkingDirectory))
        {
            using var client = service.CreateHawkClient(new HawkCredentials("admin-audit", admin.GetProperty("authKey").GetString()!));
            for (var i = 0; i < 5; i++)
            {
                (await client.GetAsync("/key-management/v1/keypair", TestContext.Current.CancellationToken)).StatusCode.Should().Be(System.Net.HttpStatusCode.OK);
            }
        }

        var (intactExit, intact, _) = await RunAsync("audit", "verify");
        await using (var connection = new Microsoft.Data.Sqlite.SqliteConnection($"Data Source={Path.Combine(WorkingDirectory, "lkm.db")};Pooling=false"))
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

    [Fact]
    public async Task A_key_file_that_is_not_there_is_exit_1_in_one_line_not_a_usage_error()
    {
        var missing = Path.Combine(WorkingDirectory, "nope.pem");

        var (exit, stdout, stderr) = await RunAsync("keys", "import", "--file", missing);

        exit.Should().Be(1);
        stdout.Should().BeEmpty();
        stderr.TrimEnd().Split('\n').Should().ContainSingle().Which.Should().Be($"lkm: {missing} does not exist.");
        Directory.EnumerateFileSystemEntries(WorkingDirectory).Should().BeEmpty();
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
        File.SetUnixFileMode(Path.Combine(WorkingDirectory, "lkm.masterkey.json"), UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.OtherRead);

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
        Directory.EnumerateFileSystemEntries(WorkingDirectory).Should().BeEmpty("a key the import refuses sets up no database and no master key file");
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
        File.Exists(Path.Combine(WorkingDirectory, "lkm.db")).Should().BeFalse("the command must not have touched the default database");
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
    [InlineData("--urls", "notaurl")]
    [InlineData("--urls=127.0.0.1:5000")]
    public async Task A_malformed_listening_url_is_one_line_and_exit_code_1_not_a_crash(params string[] args)
    {
        var (exit, stdout, stderr) = await RunAsync(["serve", .. args]);

        exit.Should().Be(1, stderr);
        stderr.TrimEnd().Split('\n').Should().ContainSingle().Which.Should().StartWith("lkm: ");
        stderr.Should().NotContain(" at ");
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
        File.Exists(Path.Combine(WorkingDirectory, "lkm.db")).Should().BeFalse();
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
        Directory.EnumerateFileSystemEntries(WorkingDirectory).Should().BeEmpty("asking for help runs no command");
    }
}
