using System.Diagnostics;
using System.Net.Http.Json;
using System.Security.Cryptography;
using System.Text.Json;

namespace LocalKeyManager.Api.FunctionalTests;

/// <summary>Backups as an operator makes them: export, wipe, restore, decrypt old ciphertexts.</summary>
public sealed class BackupCommandTests : IDisposable
{
    private readonly string _first = Directory.CreateTempSubdirectory("lkm-backup-a-").FullName;
    private readonly string _second = Directory.CreateTempSubdirectory("lkm-backup-b-").FullName;
    private readonly string _files = Directory.CreateTempSubdirectory("lkm-backup-files-").FullName;

    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    public void Dispose()
    {
        foreach (var dir in new[] { _first, _second, _files })
        {
            Directory.Delete(dir, recursive: true);
        }
    }

    [Fact]
    public async Task Export_wipe_restore_then_old_ciphertexts_decrypt_and_a_second_restore_duplicates_nothing()
    {
        using var original = RSA.Create(3072);
        var id = Guid.NewGuid().ToString();
        await File.WriteAllTextAsync(Path.Combine(_files, "key.pem"), original.ExportPkcs8PrivateKeyPem(), Ct);
        (await RunAsync(_first, "keys", "import", "--file", Path.Combine(_files, "key.pem"), "--id", id, "--date-created", "1479389944924")).ExitCode.Should().Be(0);
        (await RunAsync(_first, "credentials", "list")).ExitCode.Should().Be(0);
        var secret = RandomNumberGenerator.GetBytes(32);
        var oldCiphertext = original.Encrypt(secret, RSAEncryptionPadding.OaepSHA1);
        var backup = Path.Combine(_files, "keys.lkmbackup");

        var export = await RunAsync(_first, "keys", "export-backup", "--out", backup, "--passphrase-env", "LKM_TEST_PASSPHRASE");
        var verify = await RunAsync(_first, "keys", "verify-backup", "--in", backup, "--passphrase-env", "LKM_TEST_PASSPHRASE");
        var text = await File.ReadAllTextAsync(backup, Ct);

        export.ExitCode.Should().Be(0, export.Stderr);
        JsonSerializer.Deserialize<JsonElement>(export.Stdout).GetProperty("exported").GetInt32().Should().Be(1);
        verify.ExitCode.Should().Be(0, verify.Stderr);
        text.Should().NotContain(Convert.ToBase64String(original.ExportRSAPrivateKey())[..40]).And.Contain("PBKDF2-SHA256").And.Contain("600000");
        if (!OperatingSystem.IsWindows())
        {
            File.GetUnixFileMode(backup).Should().Be(UnixFileMode.UserRead | UnixFileMode.UserWrite);
        }

        // A new installation: another database and another master key.
        var restore = await RunAsync(_second, "keys", "restore-backup", "--in", backup, "--passphrase-env", "LKM_TEST_PASSPHRASE");
        var again = await RunAsync(_second, "keys", "restore-backup", "--in", backup, "--passphrase-env", "LKM_TEST_PASSPHRASE");
        var list = JsonSerializer.Deserialize<JsonElement[]>((await RunAsync(_second, "keys", "list")).Stdout)!;

        restore.ExitCode.Should().Be(0, restore.Stderr);
        JsonSerializer.Deserialize<JsonElement>(restore.Stdout).GetProperty("restored").GetInt32().Should().Be(1);
        JsonSerializer.Deserialize<JsonElement>(again.Stdout).GetProperty("alreadyPresent").GetInt32().Should().Be(1);
        list.Should().ContainSingle().Which.GetProperty("dateCreated").GetInt64().Should().Be(1479389944924);

        await using var service = new LkmFactory(_second);
        using var client = service.CreateHawkClient(await service.CreateCredentialAsync("genesys-restored"));
        var decrypted = await client.PostAsJsonAsync("/key-management/v1/decrypt", new { keypairId = id, body = Convert.ToBase64String(oldCiphertext) }, Ct);
        Convert.FromBase64String((await decrypted.JsonAsync()).GetProperty("body").GetString()!).Should().Equal(secret);

        // Every private key that left the first installation, and every one that came into the
        // second, is on record in its request log.
        (await CommandLineHarness.CommandEntriesAsync(_first)).Should().Equal(
            ("lkm keys import", $"Imported keypair {id} from a key file."),
            ("lkm keys export-backup", $"Exported 1 private key(s) to the backup file {backup}, under a passphrase."));
        (await CommandLineHarness.CommandEntriesAsync(_second)).Should().Equal(
            ("lkm keys restore-backup", $"Restoring the 1 keypair(s) in the backup file {backup}; the entry after this one says what was restored (none: the restore stopped before its end)."),
            ("lkm keys restore-backup", $"Restored 1 keypair(s) from the backup file {backup}: 0 already present, 0 under an id holding another key (not restored), 0 destroyed here (left destroyed)."),
            ("lkm keys restore-backup", $"Restoring the 1 keypair(s) in the backup file {backup}; the entry after this one says what was restored (none: the restore stopped before its end)."),
            ("lkm keys restore-backup", $"Restored 0 keypair(s) from the backup file {backup}: 1 already present, 0 under an id holding another key (not restored), 0 destroyed here (left destroyed)."));
    }

    [Fact]
    public async Task A_restore_that_meets_another_key_under_the_same_id_overwrites_nothing_and_says_so_in_one_line()
    {
        var (id, backup) = await OneKeyBackedUpAsync();
        using var other = RSA.Create(2048);
        var otherFile = Path.Combine(_files, "other.pem");
        await File.WriteAllTextAsync(otherFile, other.ExportPkcs8PrivateKeyPem(), Ct);
        (await RunAsync(_second, "keys", "import", "--file", otherFile, "--id", id)).ExitCode.Should().Be(0);
        var before = (await RunAsync(_second, "keys", "list")).Stdout;

        var restore = await RunAsync(_second, "keys", "restore-backup", "--in", backup, "--passphrase-env", "LKM_TEST_PASSPHRASE");

        restore.ExitCode.Should().Be(1);
        JsonSerializer.Deserialize<JsonElement>(restore.Stdout).GetProperty("conflicts").EnumerateArray().Select(c => c.GetString()).Should().Equal(id);
        restore.Stderr.TrimEnd().Split('\n').Should().ContainSingle().Which.Should().StartWith("lkm: 1 keypair(s) in the backup were not restored");
        (await RunAsync(_second, "keys", "list")).Stdout.Should().Be(before, "the key already there is kept");
    }

    [Fact]
    public async Task A_restore_does_not_bring_back_a_keypair_destroyed_since_the_backup_and_says_so()
    {
        var (id, backup) = await OneKeyBackedUpAsync();
        // Its waiting period over, as the destruction job leaves it (the job itself is tested elsewhere).
        await using (var db = new Microsoft.Data.Sqlite.SqliteConnection($"Data Source={Path.Combine(_first, "lkm.db")};Pooling=false"))
        {
            await db.OpenAsync(Ct);
            await using var erase = db.CreateCommand();
            erase.CommandText = "UPDATE keypairs SET state = 3, wrapped_private_key = NULL, kek_id = NULL WHERE id = $id";
            erase.Parameters.AddWithValue("$id", id.ToUpperInvariant());
            (await erase.ExecuteNonQueryAsync(Ct)).Should().Be(1);
        }

        var restore = await RunAsync(_first, "keys", "restore-backup", "--in", backup, "--passphrase-env", "LKM_TEST_PASSPHRASE");

        restore.ExitCode.Should().Be(0, restore.Stderr);
        var summary = JsonSerializer.Deserialize<JsonElement>(restore.Stdout);
        summary.GetProperty("restored").GetInt32().Should().Be(0);
        summary.GetProperty("alreadyPresent").GetInt32().Should().Be(0);
        summary.GetProperty("destroyed").EnumerateArray().Select(d => d.GetString()).Should().Equal(id);
        restore.Stderr.Should().Contain("stay destroyed");
        JsonSerializer.Deserialize<JsonElement[]>((await RunAsync(_first, "keys", "list")).Stdout)!.Single().GetProperty("state").GetString().Should().Be("destroyed");
    }

    [Fact]
    public async Task A_wrong_passphrase_or_an_altered_file_is_refused_in_one_line_and_restores_nothing()
    {
        var (_, backup) = await OneKeyBackedUpAsync();

        // Into an empty folder: the backup is checked before a new installation is set up for it.
        var wrong = await RunAsync(_second, "keys", "restore-backup", "--in", backup, "--passphrase-env", "LKM_WRONG_PASSPHRASE");
        var json = JsonSerializer.Deserialize<Dictionary<string, object>>(await File.ReadAllTextAsync(backup, Ct))!;
        var ciphertext = Convert.FromBase64String(json["ciphertext"].ToString()!);
        ciphertext[10] ^= 1;
        json["ciphertext"] = Convert.ToBase64String(ciphertext);
        var altered = Path.Combine(_files, "altered.lkmbackup");
        await File.WriteAllTextAsync(altered, JsonSerializer.Serialize(json), Ct);
        var tampered = await RunAsync(_second, "keys", "verify-backup", "--in", altered, "--passphrase-env", "LKM_TEST_PASSPHRASE");
        var overwrite = await RunAsync(_first, "keys", "export-backup", "--out", backup, "--passphrase-env", "LKM_TEST_PASSPHRASE");

        wrong.ExitCode.Should().Be(1);
        wrong.Stderr.Trim().Split('\n').Should().ContainSingle().Which.Should().Contain("wrong passphrase");
        tampered.ExitCode.Should().Be(1);
        overwrite.ExitCode.Should().Be(1, "an existing backup file is never overwritten");
        Directory.EnumerateFileSystemEntries(_second).Should().BeEmpty("a refused restore sets up no installation");
    }

    [Fact]
    public async Task A_backup_for_a_recipient_key_opens_only_with_that_private_key()
    {
        (await RunAsync(_first, "keys", "import", "--file", await KeyFileAsync(), "--id", Guid.NewGuid().ToString())).ExitCode.Should().Be(0);
        using var recipient = RSA.Create(3072);
        using var stranger = RSA.Create(3072);
        await File.WriteAllTextAsync(Path.Combine(_files, "recipient.pub.pem"), recipient.ExportSubjectPublicKeyInfoPem(), Ct);
        await File.WriteAllTextAsync(Path.Combine(_files, "recipient.pem"), recipient.ExportPkcs8PrivateKeyPem(), Ct);
        await File.WriteAllTextAsync(Path.Combine(_files, "stranger.pem"), stranger.ExportPkcs8PrivateKeyPem(), Ct);
        var backup = Path.Combine(_files, "keys.lkmbackup");

        (await RunAsync(_first, "keys", "export-backup", "--out", backup, "--recipient", Path.Combine(_files, "recipient.pub.pem"))).ExitCode.Should().Be(0);
        var wrongKey = await RunAsync(_second, "keys", "restore-backup", "--in", backup, "--private-key", Path.Combine(_files, "stranger.pem"));
        var publicHalf = await RunAsync(_second, "keys", "verify-backup", "--in", backup, "--private-key", Path.Combine(_files, "recipient.pub.pem"));
        var encryptedFile = Path.Combine(_files, "recipient.encrypted.pem");
        await File.WriteAllTextAsync(encryptedFile, recipient.ExportEncryptedPkcs8PrivateKeyPem("a passphrase", new PbeParameters(PbeEncryptionAlgorithm.Aes256Cbc, HashAlgorithmName.SHA256, 100_000)), Ct);
        var encrypted = await RunAsync(_second, "keys", "verify-backup", "--in", backup, "--private-key", encryptedFile);
        var restored = await RunAsync(_second, "keys", "restore-backup", "--in", backup, "--private-key", Path.Combine(_files, "recipient.pem"));

        wrongKey.ExitCode.Should().Be(1);
        publicHalf.ExitCode.Should().Be(1);
        publicHalf.Stderr.TrimEnd().Should().Be($"lkm: {Path.Combine(_files, "recipient.pub.pem")} is a public key: a backup made for a recipient key opens only with its private key.");
        encrypted.ExitCode.Should().Be(1);
        encrypted.Stderr.TrimEnd().Should().Be($"lkm: {encryptedFile} is encrypted with a passphrase: decrypt it first (openssl pkey -in {encryptedFile} -out key.pem).");
        restored.ExitCode.Should().Be(0, restored.Stderr);
        JsonSerializer.Deserialize<JsonElement>(restored.Stdout).GetProperty("restored").GetInt32().Should().Be(1);
    }

    [Fact]
    public async Task A_backup_is_not_made_under_an_empty_or_short_passphrase_or_a_weak_or_broken_recipient_key()
    {
        (await RunAsync(_first, "keys", "import", "--file", await KeyFileAsync(), "--id", Guid.NewGuid().ToString())).ExitCode.Should().Be(0);
        var empty = Path.Combine(_files, "empty.txt");
        await File.WriteAllTextAsync(empty, "\n", Ct);
        using var weak = RSA.Create(2048);
        var weakFile = Path.Combine(_files, "weak.pub.pem");
        await File.WriteAllTextAsync(weakFile, weak.ExportSubjectPublicKeyInfoPem(), Ct);
        var broken = Path.Combine(_files, "broken.pem");
        await File.WriteAllTextAsync(broken, "-----BEGIN PUBLIC KEY-----\nAAECAwQFBgcICQ==\n-----END PUBLIC KEY-----\n", Ct);
        var backup = Path.Combine(_files, "refused.lkmbackup");

        var attempts = new[]
        {
            (await RunAsync(_first, "keys", "export-backup", "--out", backup, "--passphrase-file", empty), 1, "is empty"),
            (await RunAsync(_first, "keys", "export-backup", "--out", backup, "--passphrase-env", "LKM_WRONG_PASSPHRASE"), 1, "at least 16"),
            (await RunAsync(_first, "keys", "export-backup", "--out", backup, "--passphrase-env", "LKM_NO_SUCH_VARIABLE"), 1, "LKM_NO_SUCH_VARIABLE is empty or not set"),
            (await RunAsync(_first, "keys", "export-backup", "--out", backup, "--passphrase-env", "LKM_TEST_PASSPHRASE", "--recipient", weakFile), 2, "only one of"),
            (await RunAsync(_first, "keys", "export-backup", "--out", backup, "--recipient", weakFile), 1, "RSA-2048"),
            (await RunAsync(_first, "keys", "export-backup", "--out", backup, "--recipient", broken), 1, "not an RSA key in PEM"),
            (await RunAsync(_first, "keys", "verify-backup", "--in", backup, "--private-key", broken), 1, "not an RSA key in PEM"),
        };

        foreach (var (result, exitCode, says) in attempts)
        {
            result.ExitCode.Should().Be(exitCode, result.Stderr);
            var line = result.Stderr.TrimEnd().Split('\n').Should().ContainSingle().Which;
            line.Should().StartWith("lkm: ").And.Contain(says);
            if (exitCode == 1)
            {
                line.Should().NotContain("usage: lkm", "the command line was right; what it named was not");
            }
        }

        File.Exists(backup).Should().BeFalse();
    }

    [Fact]
    public async Task A_backup_edited_to_an_absurd_iteration_count_is_refused_at_once()
    {
        var (_, backup) = await OneKeyBackedUpAsync();
        var edited = (await File.ReadAllTextAsync(backup, Ct)).Replace("600000", "2000000000");
        var path = Path.Combine(_files, "edited.lkmbackup");
        await File.WriteAllTextAsync(path, edited, Ct);

        // Without the bound this derives a key for hours; the test's own timeout would end it.
        var verify = await RunAsync(_first, "keys", "verify-backup", "--in", path, "--passphrase-env", "LKM_TEST_PASSPHRASE");

        verify.ExitCode.Should().Be(1);
        verify.Stderr.Should().Contain("2000000000 iterations").And.Contain("not one this version trusts");
    }

    [Theory]
    [InlineData("nonce", null, "nonce")]
    [InlineData("nonce", "AAAA", "nonce")]
    [InlineData("ciphertext", "not base64 at all!", "ciphertext")]
    [InlineData("kdf.salt", null, "kdf.salt")]
    [InlineData("kdf.salt", "%%%", "kdf.salt")]
    public async Task A_backup_with_a_missing_or_malformed_field_is_refused_naming_the_field(string field, string? value, string named)
    {
        var (_, backup) = await OneKeyBackedUpAsync();
        var json = System.Text.Json.Nodes.JsonNode.Parse(await File.ReadAllTextAsync(backup, Ct))!.AsObject();
        var (parent, name) = field.Split('.') is [var outer, var inner] ? (json[outer]!.AsObject(), inner) : (json, field);
        if (field == "nonce" && value is null)
        {
            parent.Remove(name);
        }
        else
        {
            parent[name] = value;
        }

        var edited = Path.Combine(_files, "edited.lkmbackup");
        await File.WriteAllTextAsync(edited, json.ToJsonString(), Ct);

        var verify = await RunAsync(_second, "keys", "verify-backup", "--in", edited, "--passphrase-env", "LKM_TEST_PASSPHRASE");
        var restore = await RunAsync(_second, "keys", "restore-backup", "--in", edited, "--passphrase-env", "LKM_TEST_PASSPHRASE");

        foreach (var result in new[] { verify, restore })
        {
            result.ExitCode.Should().Be(1);
            result.Stdout.Should().BeEmpty();
            result.Stderr.TrimEnd().Split('\n').Should().ContainSingle().Which.Should().Be($"lkm: {edited} is not a valid LKM backup: '{named}' is missing or malformed.");
        }

        Directory.EnumerateFileSystemEntries(_second).Should().BeEmpty("a refused restore sets up no installation");
    }

    [Fact]
    public async Task A_backup_that_cannot_be_written_says_why_and_only_an_existing_file_is_called_never_overwritten()
    {
        var (_, backup) = await OneKeyBackedUpAsync();
        var nowhere = Path.Combine(_files, "no-such-folder", "keys.lkmbackup");

        var existing = await RunAsync(_first, "keys", "export-backup", "--out", backup, "--passphrase-env", "LKM_TEST_PASSPHRASE");
        var unwritable = await RunAsync(_first, "keys", "export-backup", "--out", nowhere, "--passphrase-env", "LKM_TEST_PASSPHRASE");

        existing.ExitCode.Should().Be(1);
        existing.Stderr.TrimEnd().Split('\n').Should().ContainSingle().Which.Should().Be($"lkm: {backup} already exists: an existing file is never overwritten; choose another name.");
        unwritable.ExitCode.Should().Be(1);
        unwritable.Stderr.TrimEnd().Split('\n').Should().ContainSingle().Which.Should().StartWith($"lkm: Cannot write {nowhere}: ")
            .And.EndWith("No backup was written.").And.NotContain("overwritten");
        Directory.Exists(Path.GetDirectoryName(nowhere)).Should().BeFalse();
    }

    [Theory]
    [InlineData(">/dev/full", "No space left on device")]
    [InlineData(">&-", "stdout is closed or cannot be written")]
    public async Task A_backup_whose_summary_cannot_be_printed_is_said_to_be_written_and_is(string redirect, string why)
    {
        if (OperatingSystem.IsWindows())
        {
            Assert.Skip("a Unix shell's redirections");
            return;
        }

        var (_, first) = await OneKeyBackedUpAsync();
        var backup = Path.Combine(_files, "unprinted.lkmbackup");

        var (exit, stderr) = await CommandLineHarness.RunWithStdoutAsync(_first, Passphrases, redirect, "keys", "export-backup", "--out", backup, "--passphrase-env", "LKM_TEST_PASSPHRASE");
        var verify = await RunAsync(_files, "keys", "verify-backup", "--in", backup, "--passphrase-env", "LKM_TEST_PASSPHRASE");

        exit.Should().Be(1);
        stderr.TrimEnd().Split('\n').Should().ContainSingle().Which.Should().Be(
            $"lkm: Could not print the answer ({why}). The backup {backup} was written all the same, with 1 private key(s), and the request log records the export.");
        verify.ExitCode.Should().Be(0, verify.Stderr);
        JsonSerializer.Deserialize<JsonElement>(verify.Stdout).GetProperty("verified").GetInt32().Should().Be(1);
        (await CommandLineHarness.CommandEntriesAsync(_first)).Where(e => e.Command == "lkm keys export-backup").Select(e => e.Detail).Should().Equal(
            $"Exported 1 private key(s) to the backup file {first}, under a passphrase.",
            $"Exported 1 private key(s) to the backup file {backup}, under a passphrase.");
    }

    /// <summary>A 2048-bit key imported into the first installation under a fresh id, and a passphrase backup of it.</summary>
    [Fact]
    public async Task A_backup_is_verified_away_from_any_installation_and_nothing_is_created_there()
    {
        var (_, backup) = await OneKeyBackedUpAsync();
        var elsewhere = Directory.CreateDirectory(Path.Combine(_files, "elsewhere")).FullName;

        var verify = await RunAsync(elsewhere, "keys", "verify-backup", "--in", backup, "--passphrase-env", "LKM_TEST_PASSPHRASE");
        var wrong = await RunAsync(elsewhere, "keys", "verify-backup", "--in", backup, "--passphrase-env", "LKM_WRONG_PASSPHRASE");

        verify.ExitCode.Should().Be(0, verify.Stderr);
        JsonSerializer.Deserialize<JsonElement>(verify.Stdout).GetProperty("verified").GetInt32().Should().Be(1);
        verify.Stderr.Should().BeEmpty("no first-run warning: there is no installation to start");
        wrong.ExitCode.Should().Be(1);
        wrong.Stderr.Trim().Split('\n').Should().ContainSingle().Which.Should().Contain("wrong passphrase");
        Directory.EnumerateFileSystemEntries(elsewhere).Should().BeEmpty("no database or master key file is made to check a backup");
    }

    private async Task<(string Id, string Backup)> OneKeyBackedUpAsync()
    {
        var id = Guid.NewGuid().ToString();
        (await RunAsync(_first, "keys", "import", "--file", await KeyFileAsync(), "--id", id)).ExitCode.Should().Be(0);
        var backup = Path.Combine(_files, "keys.lkmbackup");
        (await RunAsync(_first, "keys", "export-backup", "--out", backup, "--passphrase-env", "LKM_TEST_PASSPHRASE")).ExitCode.Should().Be(0);
        return (id, backup);
    }

    private async Task<string> KeyFileAsync()
    {
        using var key = RSA.Create(2048);
        var path = Path.Combine(_files, "key.b64");
        await File.WriteAllTextAsync(path, Convert.ToBase64String(key.ExportRSAPrivateKey()), Ct);
        return path;
    }

    private static readonly Dictionary<string, string> Passphrases = new()
    {
        ["LKM_TEST_PASSPHRASE"] = "correct horse battery staple",
        ["LKM_WRONG_PASSPHRASE"] = "incorrect horse",
    };

    private static async Task<(int ExitCode, string Stdout, string Stderr)> RunAsync(string directory, params string[] args)
    {
        var info = new ProcessStartInfo("dotnet") { WorkingDirectory = directory, RedirectStandardOutput = true, RedirectStandardError = true };
        info.ArgumentList.Add(Path.Combine(AppContext.BaseDirectory, "lkm.dll"));
        foreach (var arg in args)
        {
            info.ArgumentList.Add(arg);
        }

        foreach (var (name, value) in Passphrases)
        {
            info.Environment[name] = value;
        }

        using var process = Process.Start(info)!;
        var stdout = process.StandardOutput.ReadToEndAsync(Ct);
        var stderr = process.StandardError.ReadToEndAsync(Ct);
        await process.WaitForExitAsync(Ct);
        return (process.ExitCode, await stdout, await stderr);
    }
}
