using LocalKeyManager.Application.Credentials.RegisterHawkCredential;
using LocalKeyManager.Domain.Credentials;
using LocalKeyManager.Domain.Crypto;
using LocalKeyManager.Infrastructure.Crypto.KeyProtection;
using Microsoft.Extensions.DependencyInjection;

namespace LocalKeyManager.Infrastructure.IntegrationTests;

public sealed class MasterKeyInitializerTests
{
    [Fact]
    public async Task The_embedded_default_creates_an_owner_only_key_file_beside_the_database()
    {
        await using var services = await TestServices.StartAsync();

        var path = Path.Combine(services.Directory, MasterKeyInitializer.DefaultKeyFileName);
        File.Exists(path).Should().BeTrue();
        if (!OperatingSystem.IsWindows())
        {
            File.GetUnixFileMode(path).Should().Be(UnixFileMode.UserRead | UnixFileMode.UserWrite);
            // The database beside it holds the wrapped keys and the request log: owner-only too,
            // and SQLite gives its write-ahead log and shared-memory files the same mode.
            var files = Directory.EnumerateFiles(services.Directory, "lkm.db*").ToList();
            files.Should().Contain(Path.Combine(services.Directory, "lkm.db"));
            foreach (var file in files)
            {
                File.GetUnixFileMode(file).Should().Be(UnixFileMode.UserRead | UnixFileMode.UserWrite, file);
            }
        }

        MasterKeyRing.ReadFile(path).ActiveVersion.Should().Be(1);
    }

    [Fact]
    public async Task A_missing_key_file_over_existing_keys_stops_start_up_and_creates_nothing()
    {
        var directory = await DirectoryWithOneCredentialAsync();
        var keyFile = Path.Combine(directory, MasterKeyInitializer.DefaultKeyFileName);
        File.Delete(keyFile);

        var act = () => TestServices.StartAsync(directory: directory);

        await act.Should().ThrowAsync<MasterKeyException>().WithMessage("*missing*");
        File.Exists(keyFile).Should().BeFalse();
    }

    [Fact]
    public async Task A_wrong_key_file_stops_start_up()
    {
        var directory = await DirectoryWithOneCredentialAsync();
        var keyFile = Path.Combine(directory, MasterKeyInitializer.DefaultKeyFileName);
        File.Delete(keyFile);
        MasterKeyRing.CreateNew().WriteNewFile(keyFile);

        var act = () => TestServices.StartAsync(directory: directory);

        await act.Should().ThrowAsync<MasterKeyException>().WithMessage("*does not unwrap*");
    }

    [Fact]
    public async Task A_configured_key_file_that_does_not_exist_stops_start_up()
    {
        var act = () => TestServices.StartAsync(new() { ["KeyProtection:Local:KeyFile"] = "/nonexistent/lkm-master.json" });

        await act.Should().ThrowAsync<MasterKeyException>().WithMessage("*does not exist*");
    }

    [Fact]
    public async Task A_configured_key_file_that_is_a_folder_is_called_one()
    {
        var folder = Directory.CreateTempSubdirectory("lkm-keyfile-folder-").FullName;
        try
        {
            var act = () => TestServices.StartAsync(new() { ["KeyProtection:Local:KeyFile"] = folder });

            await act.Should().ThrowAsync<MasterKeyException>().WithMessage($"Master key file {folder} (KeyProtection:Local:KeyFile) is a folder: name the key file itself.");
        }
        finally
        {
            Directory.Delete(folder, recursive: true);
        }
    }

    [Fact]
    public async Task Keys_from_configuration_are_used_and_the_active_version_wraps()
    {
        var settings = new Dictionary<string, string?>
        {
            ["KeyProtection:Local:Keys:1"] = Convert.ToBase64String(new byte[32]),
            ["KeyProtection:Local:Keys:3"] = Convert.ToBase64String(Enumerable.Repeat((byte)7, 32).ToArray()),
            ["KeyProtection:Local:ActiveVersion"] = "3",
        };
        await using var services = await TestServices.StartAsync(settings);

        services.Get<IKeyProtector>().Wrap([1], "ctx").KekId.Should().Be("local:v3");
        File.Exists(Path.Combine(services.Directory, MasterKeyInitializer.DefaultKeyFileName)).Should().BeFalse();
    }

    [Fact]
    public async Task Every_master_key_version_the_database_names_is_checked_not_only_the_oldest_rows()
    {
        // Version 1 wraps the first credential (the row checked before); version 2, active since, the
        // next one. A configuration that has lost version 2 must not start.
        var one = Convert.ToBase64String(new byte[32]);
        var two = Convert.ToBase64String(Enumerable.Repeat((byte)9, 32).ToArray());
        var directory = Directory.CreateTempSubdirectory("lkm-test-versions-").FullName;
        foreach (var (active, id) in new[] { ("1", "admin-first"), ("2", "admin-second") })
        {
            await using var services = await TestServices.StartAsync(new() { ["KeyProtection:Local:Keys:1"] = one, ["KeyProtection:Local:Keys:2"] = two, ["KeyProtection:Local:ActiveVersion"] = active }, CopyOf(directory));
            await using var scope = services.Scope();
            await new RegisterHawkCredentialHandler(scope.ServiceProvider.GetRequiredService<ICredentialRepository>(), scope.ServiceProvider.GetRequiredService<IKeyProtector>(), services.Clock)
                .Handle(new RegisterHawkCredential(id, "admin"), CancellationToken.None);
            Microsoft.Data.Sqlite.SqliteConnection.ClearAllPools();
            CopyDirectory(services.Directory, directory, overwrite: true);
        }

        var withoutTwo = () => TestServices.StartAsync(new() { ["KeyProtection:Local:Keys:1"] = one, ["KeyProtection:Local:ActiveVersion"] = "1" }, CopyOf(directory));

        await withoutTwo.Should().ThrowAsync<MasterKeyException>().WithMessage("*does not unwrap the stored keys*");
        Directory.Delete(directory, recursive: true);
    }

    [Fact]
    public async Task One_damaged_row_does_not_keep_the_service_from_starting_when_the_master_key_is_right()
    {
        var directory = await DirectoryWithOneCredentialAsync();
        await using (var services = await TestServices.StartAsync(directory: CopyOf(directory)))
        {
            await using var scope = services.Scope();
            await new RegisterHawkCredentialHandler(scope.ServiceProvider.GetRequiredService<ICredentialRepository>(), scope.ServiceProvider.GetRequiredService<IKeyProtector>(), services.Clock)
                .Handle(new RegisterHawkCredential("admin-second", "admin"), CancellationToken.None);
            Microsoft.Data.Sqlite.SqliteConnection.ClearAllPools();
            CopyDirectory(services.Directory, directory, overwrite: true);
        }

        // The oldest row, the one checked first, is damaged.
        await using (var db = new Microsoft.Data.Sqlite.SqliteConnection($"Data Source={Path.Combine(directory, "lkm.db")};Pooling=false"))
        {
            await db.OpenAsync(TestContext.Current.CancellationToken);
            await using var damage = db.CreateCommand();
            damage.CommandText = "UPDATE credentials SET wrapped_key = zeroblob(length(wrapped_key)) WHERE id = 'admin-first'";
            (await damage.ExecuteNonQueryAsync(TestContext.Current.CancellationToken)).Should().Be(1);
        }

        await using var restarted = await TestServices.StartAsync(directory: CopyOf(directory));
        var wrongKey = () => TestServices.StartAsync(new() { ["KeyProtection:Local:Keys:1"] = Convert.ToBase64String(new byte[32]), ["KeyProtection:Local:ActiveVersion"] = "1" }, CopyOf(directory));

        restarted.Get<IKeyProtector>().Should().NotBeNull("it started");
        await wrongKey.Should().ThrowAsync<MasterKeyException>("a wrong master key fails every row, the good one too");
        Directory.Delete(directory, recursive: true);
    }

    private static string CopyOf(string directory)
    {
        var copy = Path.Combine(Path.GetTempPath(), "lkm-test-copy-" + Guid.NewGuid().ToString("N"));
        CopyDirectory(directory, copy);
        return copy;
    }

    private static async Task<string> DirectoryWithOneCredentialAsync()
    {
        await using var services = await TestServices.StartAsync();
        var directory = Path.Combine(Path.GetTempPath(), "lkm-test-keep-" + Guid.NewGuid().ToString("N"));
        await using (var scope = services.Scope())
        {
            var handler = new RegisterHawkCredentialHandler(
                scope.ServiceProvider.GetRequiredService<ICredentialRepository>(),
                scope.ServiceProvider.GetRequiredService<IKeyProtector>(),
                services.Clock);
            await handler.Handle(new RegisterHawkCredential("admin-first", "admin"), CancellationToken.None);
        }

        Microsoft.Data.Sqlite.SqliteConnection.ClearAllPools();
        CopyDirectory(services.Directory, directory);
        return directory;
    }

    private static void CopyDirectory(string from, string to, bool overwrite = false)
    {
        Directory.CreateDirectory(to);
        foreach (var file in Directory.GetFiles(from))
        {
            File.Copy(file, Path.Combine(to, Path.GetFileName(file)), overwrite);
        }
    }
}
