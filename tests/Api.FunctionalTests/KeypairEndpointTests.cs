using System.Net;
using System.Net.Http.Json;
using System.Text.Json;

namespace LocalKeyManager.Api.FunctionalTests;

/// <summary>Runs on SQLite and on PostgreSQL (see the sealed classes at the end).</summary>
public abstract class KeypairEndpointTests(ServiceFixture fixture) : ServiceTests(fixture)
{
    [Fact]
    public async Task Create_returns_id_pkcs1_public_key_and_epoch_milliseconds()
    {
        var before = DateTimeOffset.UtcNow.ToUnixTimeMilliseconds();
        var response = await service.GenesysClient.PostAsync("/key-management/v1/keypair", null, TestContext.Current.CancellationToken);

        response.StatusCode.Should().Be(HttpStatusCode.OK);
        response.Content.Headers.ContentType!.ToString().Should().Be("application/json; charset=utf-8");
        var json = await response.JsonAsync();
        json.EnumerateObject().Select(p => p.Name).Should().BeEquivalentTo("id", "publicKey", "dateCreated", "state");
        json.GetProperty("state").GetString().Should().Be("enabled");
        json.GetProperty("id").GetString().Should().MatchRegex("^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$");
        json.GetProperty("dateCreated").ValueKind.Should().Be(JsonValueKind.Number);
        json.GetProperty("dateCreated").GetInt64().Should().BeInRange(before - 1000, DateTimeOffset.UtcNow.ToUnixTimeMilliseconds() + 1000);
        using var rsa = System.Security.Cryptography.RSA.Create();
        rsa.ImportRSAPublicKey(Convert.FromBase64String(json.GetProperty("publicKey").GetString()!), out var read);
        read.Should().Be(Convert.FromBase64String(json.GetProperty("publicKey").GetString()!).Length);
        rsa.KeySize.Should().Be(3072);
        (await HawkSigningHandler.VerifyServerAsync(response, service.Genesys)).Should().BeTrue();
    }

    [Fact]
    public async Task List_is_newest_first_and_get_returns_the_same_keypair()
    {
        var created = await (await service.GenesysClient.PostAsync("/key-management/v1/keypair", null, TestContext.Current.CancellationToken)).JsonAsync();

        var list = await service.GenesysClient.GetFromJsonAsync<JsonElement[]>("/key-management/v1/keypair", TestContext.Current.CancellationToken);
        var one = await service.AdminClient.GetFromJsonAsync<JsonElement>($"/key-management/v1/keypair/{created.GetProperty("id").GetString()}", TestContext.Current.CancellationToken);

        list![0].GetProperty("id").GetString().Should().Be(created.GetProperty("id").GetString());
        list.Select(k => k.GetProperty("dateCreated").GetInt64()).Should().BeInDescendingOrder();
        one.GetProperty("publicKey").GetString().Should().Be(created.GetProperty("publicKey").GetString());
    }

    [Theory]
    [InlineData("3f2b6a3e-5a0b-4c1e-9f59-7f1f2f0a9e11")]
    [InlineData("not-a-uuid")]
    public async Task Get_with_an_unknown_id_is_a_404_problem(string id)
    {
        var response = await service.GenesysClient.GetAsync($"/key-management/v1/keypair/{id}", TestContext.Current.CancellationToken);

        await response.ShouldBeProblemAsync(HttpStatusCode.NotFound);
    }

    [Fact]
    public async Task Keypairs_cannot_be_deleted()
    {
        var response = await service.AdminClient.DeleteAsync($"/key-management/v1/keypair/{service.KeypairId}", TestContext.Current.CancellationToken);

        response.StatusCode.Should().Be(HttpStatusCode.MethodNotAllowed);
        (await service.GenesysClient.GetAsync($"/key-management/v1/keypair/{service.KeypairId}", TestContext.Current.CancellationToken)).StatusCode.Should().Be(HttpStatusCode.OK);
    }
}

public sealed class SqliteKeypairEndpointTests(SqliteService service) : KeypairEndpointTests(service), IClassFixture<SqliteService>;

public sealed class PostgresKeypairEndpointTests(PostgresService service) : KeypairEndpointTests(service), IClassFixture<PostgresService>;
