using System.Net.Http.Json;
using System.Security.Cryptography;
using System.Text.Json;
using LocalKeyManager.TestSupport;

namespace LocalKeyManager.Api.FunctionalTests;

/// <summary>
/// One running service per test class, with an admin and a genesys credential and one keypair,
/// on SQLite (<see cref="SqliteService"/>) or PostgreSQL (<see cref="PostgresService"/>).
/// </summary>
public abstract class ServiceFixture(string provider) : IAsyncLifetime
{
    private TestDatabase? _database;

    /// <summary>Why the tests cannot run here (no PostgreSQL server), or null.</summary>
    public string? SkipReason { get; private set; }

    public LkmFactory Factory { get; private set; } = null!;

    public HawkCredentials Admin { get; private set; } = null!;

    public HawkCredentials Genesys { get; private set; } = null!;

    public HttpClient AdminClient { get; private set; } = null!;

    public HttpClient GenesysClient { get; private set; } = null!;

    public string KeypairId { get; private set; } = null!;

    public RSA PublicKey { get; private set; } = null!;

    public async ValueTask InitializeAsync()
    {
        if (provider == "postgres" && TestDatabase.PostgresServer is null)
        {
            SkipReason = TestDatabase.PostgresSkipReason;
            return;
        }

        _database = await TestDatabase.CreateAsync(provider);
        Factory = new LkmFactory(_database.Directory, _database.Settings);
        Admin = await Factory.CreateCredentialAsync("admin-fixture", "admin");
        Genesys = await Factory.CreateCredentialAsync("genesys-fixture");
        AdminClient = Factory.CreateHawkClient(Admin);
        GenesysClient = Factory.CreateHawkClient(Genesys);
        var created = await GenesysClient.PostAsync("/key-management/v1/keypair", null);
        created.EnsureSuccessStatusCode();
        var json = await created.Content.ReadFromJsonAsync<JsonElement>();
        KeypairId = json.GetProperty("id").GetString()!;
        PublicKey = RSA.Create();
        PublicKey.ImportRSAPublicKey(Convert.FromBase64String(json.GetProperty("publicKey").GetString()!), out _);
    }

    public async ValueTask DisposeAsync()
    {
        if (_database is null)
        {
            return;
        }

        PublicKey.Dispose();
        AdminClient.Dispose();
        GenesysClient.Dispose();
        await Factory.DisposeAsync();
        await _database.DisposeAsync();
    }
}

public sealed class SqliteService() : ServiceFixture("sqlite");

public sealed class PostgresService() : ServiceFixture("postgres");
