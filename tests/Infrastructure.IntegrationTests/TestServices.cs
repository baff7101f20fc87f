using LocalKeyManager.Infrastructure;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;
using NodaTime;
using NodaTime.Testing;

namespace LocalKeyManager.Infrastructure.IntegrationTests;

/// <summary>
/// The real infrastructure (EF Core on a SQLite file, local master key file, Hawk) in a temp
/// folder of its own, with a fake clock. Deleted on dispose.
/// </summary>
internal sealed class TestServices : IAsyncDisposable
{
    private TestServices(string directory, ServiceProvider provider, FakeClock clock)
    {
        Directory = directory;
        Provider = provider;
        Clock = clock;
    }

    public string Directory { get; }

    public string DatabasePath => Path.Combine(Directory, "lkm.db");

    public ServiceProvider Provider { get; }

    public FakeClock Clock { get; }

    public static async Task<TestServices> StartAsync(Dictionary<string, string?>? settings = null, string? directory = null, bool initialize = true)
    {
        directory ??= System.IO.Directory.CreateTempSubdirectory("lkm-test-").FullName;
        var values = new Dictionary<string, string?>
        {
            ["ConnectionStrings:KeyManager"] = $"Data Source={Path.Combine(directory, "lkm.db")}",
        };
        foreach (var (key, value) in settings ?? [])
        {
            values[key] = value;
        }

        var configuration = new ConfigurationBuilder().AddInMemoryCollection(values).Build();
        var clock = new FakeClock(SystemClock.Instance.GetCurrentInstant());
        var services = new ServiceCollection()
            .AddLogging(b => b.SetMinimumLevel(LogLevel.Warning))
            .AddSingleton<IConfiguration>(configuration)
            .AddSingleton<IClock>(clock);
        services.AddInfrastructure(configuration);
        var provider = services.BuildServiceProvider();
        var test = new TestServices(directory, provider, clock);
        if (initialize)
        {
            await provider.GetRequiredService<StartupInitializer>().InitializeAsync(CancellationToken.None);
        }

        return test;
    }

    public T Get<T>()
        where T : notnull => Provider.GetRequiredService<T>();

    public AsyncServiceScope Scope() => Provider.CreateAsyncScope();

    public async ValueTask DisposeAsync()
    {
        await Provider.DisposeAsync();
        Microsoft.Data.Sqlite.SqliteConnection.ClearAllPools();
        try
        {
            System.IO.Directory.Delete(Directory, recursive: true);
        }
        catch (IOException)
        {
            // Best effort: a temp folder left behind is harmless.
        }
    }
}
