using System.Diagnostics;
using LocalKeyManager.TestSupport;

namespace LocalKeyManager.Api.FunctionalTests;

/// <summary>
/// The service on a real socket, driven by @hapi/hawk (the Hawk reference implementation) from
/// Node.js: tests/hawk-e2e/client.mjs. The test command installs the package.
/// </summary>
public sealed class ReferenceClientTests
{
    [Theory]
    [InlineData("sqlite")]
    [InlineData("postgres")]
    public async Task The_hawk_reference_client_passes_every_check_against_the_running_service(string provider)
    {
        var script = FindScript();
        Assert.SkipWhen(script is null, "tests/hawk-e2e/node_modules is missing: run the test command (scripts/test.sh), which installs @hapi/hawk");
        Assert.SkipUnless(File.Exists("/usr/bin/node") || File.Exists("/usr/local/bin/node"), "Node.js is not installed");
        Assert.SkipWhen(provider == "postgres" && TestDatabase.PostgresServer is null, TestDatabase.PostgresSkipReason);

        await using var database = await TestDatabase.CreateAsync(provider);
        await using var service = new LkmFactory(database.Directory, database.Settings, kestrel: true);
        service.StartServer();
        var admin = await service.CreateCredentialAsync("admin-reference", "admin");

        var info = new ProcessStartInfo("node", [script!]) { RedirectStandardOutput = true, RedirectStandardError = true, WorkingDirectory = Path.GetDirectoryName(script)! };
        info.Environment["LKM_URL"] = service.KestrelAddress.ToString().TrimEnd('/');
        info.Environment["LKM_ADMIN_ID"] = admin.Id;
        info.Environment["LKM_ADMIN_KEY"] = admin.Key;
        using var node = Process.Start(info)!;
        var stdout = node.StandardOutput.ReadToEndAsync(TestContext.Current.CancellationToken);
        var stderr = node.StandardError.ReadToEndAsync(TestContext.Current.CancellationToken);
        await node.WaitForExitAsync(TestContext.Current.CancellationToken);

        var output = await stdout + await stderr;
        node.ExitCode.Should().Be(0, output);
        output.Should().Contain("ALL PASSED");
    }

    private static string? FindScript()
    {
        for (var dir = new DirectoryInfo(AppContext.BaseDirectory); dir is not null; dir = dir.Parent)
        {
            var candidate = Path.Combine(dir.FullName, "tests", "hawk-e2e", "client.mjs");
            if (File.Exists(candidate) && Directory.Exists(Path.Combine(dir.FullName, "tests", "hawk-e2e", "node_modules", "@hapi", "hawk")))
            {
                return candidate;
            }
        }

        return null;
    }
}
