using System.Diagnostics;
using System.Net;
using System.Net.Http.Json;
using System.Text.Json;

namespace LocalKeyManager.Api.FunctionalTests;

/// <summary>
/// The HSM goes away under a running service and comes back: requests that need it are 503s
/// (never 500s), readiness fails, and the service opens the token again by itself. The real
/// executable against SoftHSM2 with a token of its own (its token directory is moved away and
/// back), so that no other test's token is touched.
/// </summary>
public sealed class HsmOutageTests : IDisposable
{
    private const string Pin = "4321";
    private readonly string _directory = Directory.CreateTempSubdirectory("lkm-hsm-").FullName;

    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    private string Tokens => Path.Combine(_directory, "tokens");

    private string Config => Path.Combine(_directory, "softhsm2.conf");

    public void Dispose() => Directory.Delete(_directory, recursive: true);

    [Fact]
    public async Task A_token_that_goes_away_gives_503s_and_is_opened_again_when_it_returns()
    {
        var module = Environment.GetEnvironmentVariable("LKM_TEST_PKCS11_MODULE");
        Assert.SkipWhen(module is null || !module.Contains("softhsm", StringComparison.Ordinal), "LKM_TEST_PKCS11_MODULE is not SoftHSM2's: run scripts/test.sh, which installs softhsm2");
        Directory.CreateDirectory(Tokens);
        await File.WriteAllTextAsync(Config, $"directories.tokendir = {Tokens}\nobjectstore.backend = file\nlog.level = ERROR\n", Ct);
        // softhsm2-util reads the file as a C string: 32 bytes with no NUL among them.
        await File.WriteAllTextAsync(Path.Combine(_directory, "aes.bin"), System.Security.Cryptography.RandomNumberGenerator.GetHexString(32), Ct);
        (await RunAsync("softhsm2-util", ["--init-token", "--free", "--label", "lkm-outage", "--pin", Pin, "--so-pin", "87654321"])).Should().Be(0);
        (await RunAsync("softhsm2-util", ["--import", Path.Combine(_directory, "aes.bin"), "--aes", "--token", "lkm-outage", "--label", "lkm-master", "--id", "01", "--pin", Pin])).Should().Be(0);
        string[] hsm = ["--KeyProtection:Provider=Pkcs11", $"--KeyProtection:Pkcs11:ModulePath={module}", "--KeyProtection:Pkcs11:TokenLabel=lkm-outage", $"--KeyProtection:Pkcs11:Pin={Pin}", "--KeyProtection:Pkcs11:KeyLabel=lkm-master"];
        var created = new System.Text.StringBuilder();
        (await RunAsync("dotnet", [Lkm, "credentials", "create", "--id", "hsm-outage", "--role", "admin", .. hsm], created)).Should().Be(0);
        var key = JsonSerializer.Deserialize<JsonElement>(created.ToString()).GetProperty("authKey").GetString()!;

        using var service = Start("dotnet", [Lkm, "serve", "--urls", "http://127.0.0.1:0", .. hsm], out var log);
        var address = await ListeningAddressAsync(service, log);
        using var client = new HttpClient(new HawkSigningHandler(new HawkCredentials("hsm-outage", key)) { InnerHandler = new HttpClientHandler() }) { BaseAddress = address };
        using var anonymous = new HttpClient { BaseAddress = address };
        (await client.PostAsync("/key-management/v1/keypair", null, Ct)).StatusCode.Should().Be(HttpStatusCode.OK);

        Directory.Move(Tokens, Tokens + ".away");
        Directory.CreateDirectory(Tokens);
        var refused = await client.PostAsync("/key-management/v1/keypair", null, Ct);
        var problem = await refused.ShouldBeProblemAsync(HttpStatusCode.ServiceUnavailable);
        problem.GetProperty("detail").GetString().Should().Contain("HSM");
        (await anonymous.GetAsync("/health/ready", Ct)).StatusCode.Should().Be(HttpStatusCode.ServiceUnavailable);

        Directory.Delete(Tokens);
        Directory.Move(Tokens + ".away", Tokens);
        var ready = HttpStatusCode.ServiceUnavailable;
        for (var attempt = 0; attempt < 40 && ready != HttpStatusCode.OK; attempt++)
        {
            await Task.Delay(250, Ct);
            ready = (await anonymous.GetAsync("/health/ready", Ct)).StatusCode;
        }

        ready.Should().Be(HttpStatusCode.OK, "the token is opened again within a few seconds of its return");
        (await client.PostAsync("/key-management/v1/keypair", null, Ct)).StatusCode.Should().Be(HttpStatusCode.OK);
        (await client.GetFromJsonAsync<JsonElement[]>("/key-management/v1/keypair", Ct))!.Should().HaveCount(2);
        service.Kill();
        await service.WaitForExitAsync(Ct);
        log.ToString().Should().Contain("The HSM token is open again").And.NotContain("Unhandled exception").And.NotContain("\"LogLevel\":\"Critical\"");
    }

    private static string Lkm => Path.Combine(AppContext.BaseDirectory, "lkm.dll");

    /// <summary>Starts a process with this test's SoftHSM2 configuration; <paramref name="output"/> gets stdout and stderr, <paramref name="stdout"/> stdout alone.</summary>
    private Process Start(string file, string[] args, out System.Text.StringBuilder output, System.Text.StringBuilder? stdout = null)
    {
        var info = new ProcessStartInfo(file) { WorkingDirectory = _directory, RedirectStandardOutput = true, RedirectStandardError = true };
        info.Environment["SOFTHSM2_CONF"] = Config;
        foreach (var arg in args)
        {
            info.ArgumentList.Add(arg);
        }

        var lines = new System.Text.StringBuilder();
        var process = new Process { StartInfo = info };
        process.OutputDataReceived += (_, e) =>
        {
            lock (lines)
            {
                lines.AppendLine(e.Data);
                stdout?.AppendLine(e.Data);
            }
        };
        process.ErrorDataReceived += (_, e) => { lock (lines) { lines.AppendLine(e.Data); } };
        process.Start();
        process.BeginOutputReadLine();
        process.BeginErrorReadLine();
        output = lines;
        return process;
    }

    private async Task<int> RunAsync(string file, string[] args, System.Text.StringBuilder? stdout = null)
    {
        using var process = Start(file, args, out var output, stdout);
        await process.WaitForExitAsync(Ct);
        process.WaitForExit();
        process.ExitCode.Should().Be(0, output.ToString());
        return process.ExitCode;
    }

    private static async Task<Uri> ListeningAddressAsync(Process service, System.Text.StringBuilder log)
    {
        for (var attempt = 0; attempt < 300; attempt++)
        {
            string text;
            lock (log)
            {
                text = log.ToString();
            }

            var match = System.Text.RegularExpressions.Regex.Match(text, @"Now listening on: (http://127\.0\.0\.1:\d+)");
            if (match.Success)
            {
                return new Uri(match.Groups[1].Value);
            }

            service.HasExited.Should().BeFalse(text);
            await Task.Delay(100, Ct);
        }

        throw new TimeoutException("the service did not say where it listens within 30 s");
    }
}
