using System.Net;
using System.Net.Http.Json;
using System.Text.Json;

namespace LocalKeyManager.Api.FunctionalTests;

/// <summary>Runs on SQLite and on PostgreSQL (see the sealed classes at the end).</summary>
public abstract class AuthEndpointTests(ServiceFixture fixture) : ServiceTests(fixture)
{
    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    [Fact]
    public async Task An_admin_registers_a_genesys_credential_that_works_at_once()
    {
        var response = await service.AdminClient.PostAsJsonAsync("/key-management/v1/auth", new { id = "genesys-new-1" }, Ct);

        response.StatusCode.Should().Be(HttpStatusCode.OK);
        var json = await response.JsonAsync();
        json.EnumerateObject().Select(p => p.Name).Should().BeEquivalentTo("id", "authKey", "algorithm");
        json.GetProperty("algorithm").GetString().Should().Be("sha256");
        response.Headers.CacheControl!.NoStore.Should().BeTrue("the answer carries the credential's key, shown once");
        var created = new HawkCredentials("genesys-new-1", json.GetProperty("authKey").GetString()!);
        using var client = service.Factory.CreateHawkClient(created);
        (await client.GetAsync("/key-management/v1/keypair", Ct)).StatusCode.Should().Be(HttpStatusCode.OK);
        (await client.GetAsync("/key-management/v1/request-log", Ct)).StatusCode.Should().Be(HttpStatusCode.Forbidden);
    }

    [Fact]
    public async Task A_registration_naming_its_id_twice_creates_neither()
    {
        using var content = new StringContent("""{"id":"genesys-dup-a","id":"genesys-dup-b"}""", System.Text.Encoding.UTF8, "application/json");

        var response = await service.AdminClient.PostAsync("/key-management/v1/auth", content, Ct);

        await response.ShouldBeProblemAsync(HttpStatusCode.BadRequest);
        var ids = (await (await service.AdminClient.GetAsync("/key-management/v1/auth", Ct)).JsonAsync()).EnumerateArray().Select(c => c.GetProperty("id").GetString());
        ids.Should().NotContain(["genesys-dup-a", "genesys-dup-b"]);
    }

    [Fact]
    public async Task An_admin_can_register_another_admin()
    {
        var json = await (await service.AdminClient.PostAsJsonAsync("/key-management/v1/auth", new { id = "admin-second", role = "admin" }, Ct)).JsonAsync();
        using var client = service.Factory.CreateHawkClient(new HawkCredentials("admin-second", json.GetProperty("authKey").GetString()!));

        (await client.GetAsync("/key-management/v1/auth", Ct)).StatusCode.Should().Be(HttpStatusCode.OK);
        var entries = (await service.AdminClient.GetFromJsonAsync<JsonElement[]>("/key-management/v1/request-log?maxEntries=10000", Ct))!;
        var entry = entries.Single(e => e.GetProperty("detail").GetString()?.Contains("'admin-second'", StringComparison.Ordinal) == true);
        entry.GetProperty("requestUri").GetString().Should().Be("/key-management/v1/auth");
        entry.GetProperty("detail").GetString().Should().Be("Registered credential 'admin-second' with role admin (sha256).", "the log names what a registration created, never its key");
    }

    [Fact]
    public async Task An_existing_id_is_409_and_the_first_key_keeps_working()
    {
        var first = await (await service.AdminClient.PostAsJsonAsync("/key-management/v1/auth", new { id = "genesys-dup" }, Ct)).JsonAsync();

        var second = await service.AdminClient.PostAsJsonAsync("/key-management/v1/auth", new { id = "genesys-dup" }, Ct);

        await second.ShouldBeProblemAsync(HttpStatusCode.Conflict);
        using var client = service.Factory.CreateHawkClient(new HawkCredentials("genesys-dup", first.GetProperty("authKey").GetString()!));
        (await client.GetAsync("/key-management/v1/keypair", Ct)).StatusCode.Should().Be(HttpStatusCode.OK);
    }

    [Fact]
    public async Task A_sha1_credential_is_made_on_request_and_signs_and_verifies_with_sha1()
    {
        var response = await service.AdminClient.PostAsJsonAsync("/key-management/v1/auth", new { id = "genesys-sha1", algorithm = "sha1" }, Ct);

        var json = await response.JsonAsync();
        response.StatusCode.Should().Be(HttpStatusCode.OK);
        json.GetProperty("algorithm").GetString().Should().Be("sha1");
        var created = new HawkCredentials("genesys-sha1", json.GetProperty("authKey").GetString()!, Domain.Credentials.HawkAlgorithm.Sha1);
        using var client = service.Factory.CreateHawkClient(created);
        using var keypairs = await client.GetAsync("/key-management/v1/keypair", Ct);
        keypairs.StatusCode.Should().Be(HttpStatusCode.OK);
        (await HawkSigningHandler.VerifyServerAsync(keypairs, created)).Should().BeTrue("the server signs its answer with the credential's algorithm");
        using var asSha256 = service.Factory.CreateHawkClient(created with { Algorithm = Domain.Credentials.HawkAlgorithm.Sha256 });
        await (await asSha256.GetAsync("/key-management/v1/keypair", Ct)).ShouldBeProblemAsync(HttpStatusCode.Unauthorized);
        var list = await service.AdminClient.GetFromJsonAsync<JsonElement[]>("/key-management/v1/auth", Ct);
        list!.Single(c => c.GetProperty("id").GetString() == "genesys-sha1").GetProperty("algorithm").GetString().Should().Be("sha1");
    }

    [Theory]
    [InlineData("{\"id\":\"short\"}")]
    [InlineData("{\"id\":\"has spaces in it\"}")]
    [InlineData("{}")]
    [InlineData("{\"id\":\"genesys-role\",\"role\":\"root\"}")]
    [InlineData("{\"id\":\"genesys-algo\",\"algorithm\":\"md5\"}")]
    [InlineData("{\"id\":\"genesys-algo\",\"algorithm\":\"SHA1\"}")]
    public async Task Invalid_registrations_are_400_and_store_nothing(string body)
    {
        using var content = new StringContent(body, System.Text.Encoding.UTF8, "application/json");

        await (await service.AdminClient.PostAsync("/key-management/v1/auth", content, Ct)).ShouldBeProblemAsync(HttpStatusCode.BadRequest);

        var list = await service.AdminClient.GetFromJsonAsync<JsonElement[]>("/key-management/v1/auth", Ct);
        list!.Select(c => c.GetProperty("id").GetString()).Should().NotContain(["short", "has spaces in it", "genesys-role", "genesys-algo"]);
    }

    [Fact]
    public async Task Registration_is_closed_to_genesys_and_anonymous_callers()
    {
        await (await service.GenesysClient.PostAsJsonAsync("/key-management/v1/auth", new { id = "genesys-sneaky" }, Ct)).ShouldBeProblemAsync(HttpStatusCode.Forbidden);
        using var anonymous = service.Factory.CreateClient();
        var response = await anonymous.PostAsJsonAsync("/key-management/v1/auth", new { id = "genesys-sneaky" }, Ct);
        await response.ShouldBeProblemAsync(HttpStatusCode.Unauthorized);
        response.Headers.WwwAuthenticate.ToString().Should().Be("Hawk");

        var list = await service.AdminClient.GetFromJsonAsync<JsonElement[]>("/key-management/v1/auth", Ct);
        list!.Select(c => c.GetProperty("id").GetString()).Should().NotContain("genesys-sneaky");
    }

    [Fact]
    public async Task The_list_shows_roles_and_never_a_key()
    {
        var response = await service.AdminClient.GetAsync("/key-management/v1/auth", Ct);
        var text = await response.Content.ReadAsStringAsync(Ct);
        var list = JsonSerializer.Deserialize<JsonElement[]>(text)!;

        var admin = list.Single(c => c.GetProperty("id").GetString() == "admin-fixture");
        admin.EnumerateObject().Select(p => p.Name).Should().BeEquivalentTo("id", "algorithm", "role", "dateCreated", "revoked");
        admin.GetProperty("role").GetString().Should().Be("admin");
        list.Single(c => c.GetProperty("id").GetString() == "genesys-fixture").GetProperty("role").GetString().Should().Be("genesys");
        text.Should().NotContain(service.Admin.Key).And.NotContain(service.Genesys.Key);
    }

    [Fact]
    public async Task A_revoked_credential_is_refused_at_once_and_unknown_ids_are_404()
    {
        var key = (await (await service.AdminClient.PostAsJsonAsync("/key-management/v1/auth", new { id = "genesys-revoke-me" }, Ct)).JsonAsync()).GetProperty("authKey").GetString()!;
        using var client = service.Factory.CreateHawkClient(new HawkCredentials("genesys-revoke-me", key));
        (await client.GetAsync("/key-management/v1/keypair", Ct)).StatusCode.Should().Be(HttpStatusCode.OK);

        var revoked = await service.AdminClient.PostAsync("/key-management/v1/auth/genesys-revoke-me/revoke", null, Ct);

        revoked.StatusCode.Should().Be(HttpStatusCode.OK);
        (await revoked.JsonAsync()).GetProperty("revoked").GetBoolean().Should().BeTrue();
        var refused = await client.GetAsync("/key-management/v1/keypair", Ct);
        await refused.ShouldBeProblemAsync(HttpStatusCode.Unauthorized);
        await (await service.AdminClient.PostAsync("/key-management/v1/auth/nobody-at-all/revoke", null, Ct)).ShouldBeProblemAsync(HttpStatusCode.NotFound);
    }
}

public sealed class SqliteAuthEndpointTests(SqliteService service) : AuthEndpointTests(service), IClassFixture<SqliteService>;

public sealed class PostgresAuthEndpointTests(PostgresService service) : AuthEndpointTests(service), IClassFixture<PostgresService>;
