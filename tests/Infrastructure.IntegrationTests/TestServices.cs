using LocalKeyManager.TestSupport;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;
using NodaTime;
using NodaTime.Testing;

namespace LocalKeyManager.Infrastructure.IntegrationTests;

/// <summary>
/// The real infrastructure (EF Core on SQLite or PostgreSQL, local master key, Hawk) with a fake
/// clock, on a database of its own. Disposing it drops the database.
/// </summary>
internal sealed class TestServices : IAsyncDisposable
{
    private readonly TestDatabase? _owned;

    private Dictionary<string, string?> _values = [];
    private bool _keepDirectory;

    private TestServices(string directory, ServiceProvider provider, FakeClock clock, TestDatabase? owned)
    {
        Directory = directory;
        Provider = provider;
        Clock = clock;
        _owned = owned;
    }

    public string Directory { get; }

    public ServiceProvider Provider { get; }

    public FakeClock Clock { get; }

    /// <summary>The embedded default in <paramref name="directory"/> (a new temp folder if null).</summary>
    public static Task<TestServices> StartAsync(Dictionary<string, string?>? settings = null, string? directory = null, bool initialize = true)
    {
        directory ??= System.IO.Directory.CreateTempSubdirectory("lkm-test-").FullName;
        var values = new Dictionary<string, string?> { ["ConnectionStrings:KeyManager"] = $"Data Source={Path.Combine(directory, "lkm.db")}" };
        return StartAsync(directory, Merge(values, settings), null, initialize);
    }

    /// <summary>On a fresh database of <paramref name="provider"/> (<c>sqlite</c> or <c>postgres</c>), dropped on dispose.</summary>
    /// <param name="connectionString">Rewrites the database's connection string (e.g. adds a driver setting).</param>
    public static async Task<TestServices> StartOnAsync(string provider, Dictionary<string, string?>? settings = null, Func<string, string>? connectionString = null)
    {
        var database = await TestDatabase.CreateAsync(provider);
        var values = Merge(database.Settings, settings);
        if (connectionString is not null)
        {
            values["ConnectionStrings:KeyManager"] = connectionString(database.ConnectionString);
        }

        return await StartAsync(database.Directory, values, database, initialize: true);
    }

    /// <summary>A second instance on the same database and master key (it does not own them).</summary>
    /// <param name="connectionString">Rewrites the database's connection string (e.g. another login).</param>
    public async Task<TestServices> AnotherInstanceAsync(Func<string, string>? connectionString = null, bool initialize = true)
    {
        var values = new Dictionary<string, string?>(_values);
        if (connectionString is not null)
        {
            values["ConnectionStrings:KeyManager"] = connectionString(values["ConnectionStrings:KeyManager"]!);
        }

        var other = await StartAsync(Directory, values, null, initialize);
        other._keepDirectory = true;
        return other;
    }

    /// <summary>Skips the test, saying why, when the provider's database is not available here.</summary>
    public static async Task SkipUnlessAvailableAsync(string provider)
    {
        Assert.SkipWhen(provider == "postgres" && TestDatabase.PostgresServer is null, TestDatabase.PostgresSkipReason);
        if (provider == "sqlserver")
        {
            var (server, reason) = await SqlServerServer.GetAsync();
            Assert.SkipWhen(server is null, reason ?? string.Empty);
        }
    }

    public T Get<T>()
        where T : notnull => Provider.GetRequiredService<T>();

    public AsyncServiceScope Scope() => Provider.CreateAsyncScope();

    public async ValueTask DisposeAsync()
    {
        await Provider.DisposeAsync();
        Microsoft.Data.Sqlite.SqliteConnection.ClearAllPools();
        if (_owned is not null)
        {
            await _owned.DisposeAsync();
            return;
        }

        if (_keepDirectory)
        {
            return;
        }

        try
        {
            System.IO.Directory.Delete(Directory, recursive: true);
        }
        catch (IOException)
        {
            // Best effort: a temp folder left behind is harmless.
        }
    }

    private static async Task<TestServices> StartAsync(string directory, Dictionary<string, string?> values, TestDatabase? owned, bool initialize)
    {
        var configuration = new ConfigurationBuilder().AddInMemoryCollection(values).Build();
        var clock = new FakeClock(SystemClock.Instance.GetCurrentInstant());
        var services = new ServiceCollection()
            .AddLogging(b => b.SetMinimumLevel(LogLevel.Warning))
            .AddMetrics()
            .AddSingleton<IConfiguration>(configuration)
            .AddSingleton<IClock>(clock);
        services.AddInfrastructure(configuration);
        var provider = services.BuildServiceProvider();
        var test = new TestServices(directory, provider, clock, owned) { _values = values };
        if (initialize)
        {
            await provider.GetRequiredService<StartupInitializer>().InitializeAsync(CancellationToken.None);
        }

        return test;
    }

    private static Dictionary<string, string?> Merge(Dictionary<string, string?> values, Dictionary<string, string?>? overrides)
    {
        var merged = new Dictionary<string, string?>(values);
        foreach (var (key, value) in overrides ?? [])
        {
            merged[key] = value;
        }

        return merged;
    }
}
