using System.Net.Sockets;
using LocalKeyManager.Api;
using LocalKeyManager.Application.Credentials.RegisterHawkCredential;
using Mediator;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Mvc.Testing;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;

namespace LocalKeyManager.Api.FunctionalTests;

/// <summary>
/// The whole service on its embedded default (a SQLite file and a master key file in a temp
/// folder of its own), with a Hawk-signing client. Log lines are kept so tests can check that
/// no secret reaches them.
/// </summary>
public class LkmFactory : WebApplicationFactory<Program>
{
    private readonly Dictionary<string, string?> _settings;
    private readonly int? _kestrelPort;

    public LkmFactory(string? directory = null, Dictionary<string, string?>? settings = null, bool kestrel = false)
    {
        Directory = directory ?? System.IO.Directory.CreateTempSubdirectory("lkm-api-").FullName;
        _settings = new() { ["ConnectionStrings:KeyManager"] = $"Data Source={Path.Combine(Directory, "lkm.db")}" };
        foreach (var (key, value) in settings ?? [])
        {
            _settings[key] = value;
        }

        if (kestrel)
        {
            _kestrelPort = FreePort();
            UseKestrel(_kestrelPort.Value);
        }
    }

    public string Directory { get; }

    public CapturedLogs Logs { get; } = CreateWatchedLogs();

    public Uri KestrelAddress => new($"http://127.0.0.1:{_kestrelPort}");

    /// <summary>Creates a credential the way the command line does (no HTTP), and returns its key.</summary>
    public async Task<HawkCredentials> CreateCredentialAsync(string id, string role = "genesys")
    {
        await using var scope = Services.CreateAsyncScope();
        var created = await scope.ServiceProvider.GetRequiredService<ISender>().Send(new RegisterHawkCredential(id, role));
        SuiteLogScan.Secret(created.AuthKey);
        return new HawkCredentials(created.Id, created.AuthKey);
    }

    public HttpClient CreateHawkClient(HawkCredentials credentials)
    {
        var client = CreateDefaultClient(new HawkSigningHandler(credentials));
        return client;
    }

    protected override void ConfigureWebHost(IWebHostBuilder builder)
    {
        builder.UseEnvironment("Production");
        if (_kestrelPort is not null)
        {
            builder.UseSetting("urls", KestrelAddress.ToString());
        }

        foreach (var (key, value) in _settings)
        {
            builder.UseSetting(key, value);
        }

        builder.ConfigureLogging(logging => logging.AddProvider(Logs).SetMinimumLevel(LogLevel.Debug));
    }

    protected override void Dispose(bool disposing)
    {
        base.Dispose(disposing);
        Microsoft.Data.Sqlite.SqliteConnection.ClearAllPools();
    }

    private static CapturedLogs CreateWatchedLogs()
    {
        var logs = new CapturedLogs();
        SuiteLogScan.Watch(logs);
        return logs;
    }

    private static int FreePort()
    {
        using var listener = new TcpListener(System.Net.IPAddress.Loopback, 0);
        listener.Start();
        return ((System.Net.IPEndPoint)listener.LocalEndpoint).Port;
    }
}
