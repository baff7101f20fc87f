using System.Net.Http.Json;
using System.Security.Cryptography;
using System.Text.Json;

namespace LocalKeyManager.Api.FunctionalTests;

/// <summary>One running service per test class, with an admin and a genesys credential and one keypair.</summary>
public sealed class ServiceFixture : IAsyncLifetime
{
    public LkmFactory Factory { get; } = new();

    public HawkCredentials Admin { get; private set; } = null!;

    public HawkCredentials Genesys { get; private set; } = null!;

    public HttpClient AdminClient { get; private set; } = null!;

    public HttpClient GenesysClient { get; private set; } = null!;

    public string KeypairId { get; private set; } = null!;

    public RSA PublicKey { get; private set; } = null!;

    public async ValueTask InitializeAsync()
    {
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
        PublicKey.Dispose();
        AdminClient.Dispose();
        GenesysClient.Dispose();
        await Factory.DisposeAsync();
    }
}
