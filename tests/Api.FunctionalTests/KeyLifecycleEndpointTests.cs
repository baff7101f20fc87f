using System.Net;
using System.Net.Http.Json;
using System.Security.Cryptography;
using System.Text.Json;

namespace LocalKeyManager.Api.FunctionalTests;

/// <summary>Import, disable/enable and scheduled destruction over HTTP; runs on SQLite and on PostgreSQL.</summary>
public abstract class KeyLifecycleEndpointTests(ServiceFixture fixture) : ServiceTests(fixture)
{
    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    private async Task<string> CreateAsync() =>
        (await (await service.GenesysClient.PostAsync("/key-management/v1/keypair", null, Ct)).JsonAsync()).GetProperty("id").GetString()!;

    private async Task<HttpResponseMessage> DecryptAsync(string keypairId, RSA publicKey, byte[] secret) =>
        await service.GenesysClient.PostAsJsonAsync("/key-management/v1/decrypt", new { keypairId, body = Convert.ToBase64String(publicKey.Encrypt(secret, RSAEncryptionPadding.OaepSHA1)) }, Ct);

    [Theory]
    [InlineData("11111111-2222-f333-0444-555555555555", 1479389944924L, "id")]
    [InlineData("11111111-2222-0333-c444-555555555555", 1479389944924L, "id")]
    [InlineData("11111111-2222-4333-7444-555555555555", 1479389944924L, "id")]
    [InlineData("11111111-2222-4333-8444-555555555555", 4102444800000L, "dateCreated")]
    public async Task An_import_whose_id_is_not_an_rfc_4122_uuid_or_whose_date_is_to_come_is_400_and_stores_nothing(string id, long dateCreated, string field)
    {
        using var key = RSA.Create(2048);

        var response = await service.AdminClient.PostAsJsonAsync(
            "/key-management/v1/keypair/import", new { privateKey = Convert.ToBase64String(key.ExportRSAPrivateKey()), id, dateCreated }, Ct);

        (await response.ShouldBeProblemAsync(HttpStatusCode.BadRequest)).GetProperty("detail").GetString().Should().StartWith(field);
        (await service.AdminClient.GetAsync($"/key-management/v1/keypair/{id}", Ct)).StatusCode.Should().Be(HttpStatusCode.NotFound);
    }

    [Fact]
    public async Task A_key_exported_by_the_original_service_imports_with_its_id_and_date_and_decrypts_old_ciphertexts()
    {
        using var original = RSA.Create(3072);
        var id = Guid.NewGuid().ToString();
        var oldSecret = RandomNumberGenerator.GetBytes(32);
        var oldCiphertext = original.Encrypt(oldSecret, RSAEncryptionPadding.Pkcs1);
        var request = new { privateKey = Convert.ToBase64String(original.ExportRSAPrivateKey()), id, dateCreated = 1479389944924L };

        var response = await service.AdminClient.PostAsJsonAsync("/key-management/v1/keypair/import", request, Ct);

        response.StatusCode.Should().Be(HttpStatusCode.OK);
        var json = await response.JsonAsync();
        json.GetProperty("id").GetString().Should().Be(id);
        json.GetProperty("dateCreated").GetInt64().Should().Be(1479389944924L);
        json.GetProperty("state").GetString().Should().Be("enabled");
        Convert.FromBase64String(json.GetProperty("publicKey").GetString()!).Should().Equal(original.ExportRSAPublicKey());
        (await response.Content.ReadAsStringAsync(Ct)).Should().NotContain(request.privateKey[..40]);

        var decrypted = await service.GenesysClient.PostAsJsonAsync("/key-management/v1/decrypt?decryptType=pkcs1", new { keypairId = id, body = Convert.ToBase64String(oldCiphertext) }, Ct);
        Convert.FromBase64String((await decrypted.JsonAsync()).GetProperty("body").GetString()!).Should().Equal(oldSecret);

        var again = await service.AdminClient.PostAsJsonAsync("/key-management/v1/keypair/import", new { privateKey = original.ExportPkcs8PrivateKeyPem(), id }, Ct);
        again.StatusCode.Should().Be(HttpStatusCode.OK, "re-importing the same key under the same id is idempotent");
        (await again.JsonAsync()).GetProperty("dateCreated").GetInt64().Should().Be(1479389944924L);

        using var other = RSA.Create(2048);
        var conflict = await service.AdminClient.PostAsJsonAsync("/key-management/v1/keypair/import", new { privateKey = other.ExportRSAPrivateKeyPem(), id }, Ct);
        await conflict.ShouldBeProblemAsync(HttpStatusCode.Conflict);
        var logs = string.Join('\n', service.Factory.Logs.Lines);
        logs.Should().NotContain(request.privateKey[..40]);
    }

    [Fact]
    public async Task Import_refuses_small_malformed_and_non_admin_requests_and_stores_nothing()
    {
        using var small = RSA.Create(1024);
        var id = Guid.NewGuid().ToString();

        var tooSmall = await (await service.AdminClient.PostAsJsonAsync("/key-management/v1/keypair/import", new { privateKey = Convert.ToBase64String(small.ExportRSAPrivateKey()), id }, Ct))
            .ShouldBeProblemAsync(HttpStatusCode.BadRequest);
        await (await service.AdminClient.PostAsJsonAsync("/key-management/v1/keypair/import", new { privateKey = "-----BEGIN RSA PRIVATE KEY-----\nAAAA\n-----END RSA PRIVATE KEY-----", id }, Ct))
            .ShouldBeProblemAsync(HttpStatusCode.BadRequest);
        await (await service.AdminClient.PostAsJsonAsync("/key-management/v1/keypair/import", new { id }, Ct)).ShouldBeProblemAsync(HttpStatusCode.BadRequest);
        await (await service.AdminClient.PostAsJsonAsync("/key-management/v1/keypair/import", new { privateKey = "x", id = "not-a-uuid" }, Ct)).ShouldBeProblemAsync(HttpStatusCode.BadRequest);
        using var ok = RSA.Create(2048);
        await (await service.GenesysClient.PostAsJsonAsync("/key-management/v1/keypair/import", new { privateKey = ok.ExportRSAPrivateKeyPem(), id }, Ct)).ShouldBeProblemAsync(HttpStatusCode.Forbidden);

        tooSmall.GetProperty("detail").GetString().Should().Contain("2048");
        await (await service.GenesysClient.GetAsync($"/key-management/v1/keypair/{id}", Ct)).ShouldBeProblemAsync(HttpStatusCode.NotFound);
    }

    [Fact]
    public async Task A_disabled_key_refuses_decrypts_with_403_until_enabled()
    {
        var id = await CreateAsync();
        using var publicKey = await PublicKeyAsync(id);
        var secret = RandomNumberGenerator.GetBytes(32);

        var disabled = await service.AdminClient.PostAsync($"/key-management/v1/keypair/{id}/disable", null, Ct);
        disabled.StatusCode.Should().Be(HttpStatusCode.OK);
        (await disabled.JsonAsync()).GetProperty("state").GetString().Should().Be("disabled");
        (await (await DecryptAsync(id, publicKey, secret)).ShouldBeProblemAsync(HttpStatusCode.Forbidden)).GetProperty("detail").GetString().Should().Contain("disabled");

        (await service.AdminClient.PostAsync($"/key-management/v1/keypair/{id}/enable", null, Ct)).StatusCode.Should().Be(HttpStatusCode.OK);
        var decrypted = await DecryptAsync(id, publicKey, secret);
        Convert.FromBase64String((await decrypted.JsonAsync()).GetProperty("body").GetString()!).Should().Equal(secret);
    }

    [Fact]
    public async Task Destruction_is_scheduled_with_a_waiting_period_and_can_be_cancelled()
    {
        var id = await CreateAsync();
        using var publicKey = await PublicKeyAsync(id);

        var scheduled = await service.AdminClient.PostAsJsonAsync($"/key-management/v1/keypair/{id}/schedule-destruction", new { waitingPeriodDays = 7 }, Ct);
        var json = await scheduled.JsonAsync();
        json.GetProperty("state").GetString().Should().Be("pendingDestruction");
        json.GetProperty("destroyAt").GetInt64().Should().BeCloseTo(DateTimeOffset.UtcNow.AddDays(7).ToUnixTimeMilliseconds(), 60_000);
        (await (await DecryptAsync(id, publicKey, [1])).ShouldBeProblemAsync(HttpStatusCode.Forbidden)).GetProperty("detail").GetString().Should().Contain("pendingDestruction");

        var cancelled = await service.AdminClient.PostAsync($"/key-management/v1/keypair/{id}/cancel-destruction", null, Ct);
        (await cancelled.JsonAsync()).GetProperty("state").GetString().Should().Be("disabled");
        await (await service.AdminClient.PostAsJsonAsync($"/key-management/v1/keypair/{id}/schedule-destruction", new { waitingPeriodDays = 1 }, Ct)).ShouldBeProblemAsync(HttpStatusCode.BadRequest);
        await (await service.AdminClient.PostAsJsonAsync($"/key-management/v1/keypair/{id}/schedule-destruction", new { waitingPeriodDays = "7" }, Ct)).ShouldBeProblemAsync(HttpStatusCode.BadRequest);
        (await service.AdminClient.GetFromJsonAsync<JsonElement>($"/key-management/v1/keypair/{id}", Ct)).GetProperty("state").GetString().Should().Be("disabled", "a number sent as a string schedules nothing");

        // A cancel's retry finds nothing to cancel and answers as the first did.
        var retried = await service.AdminClient.PostAsync($"/key-management/v1/keypair/{id}/cancel-destruction", null, Ct);
        retried.StatusCode.Should().Be(HttpStatusCode.OK);
        (await retried.JsonAsync()).GetProperty("state").GetString().Should().Be("disabled");
    }

    [Fact]
    public async Task A_second_schedule_is_a_conflict_naming_the_date_that_stands_and_moves_nothing()
    {
        var id = await CreateAsync();
        var first = await (await service.AdminClient.PostAsJsonAsync($"/key-management/v1/keypair/{id}/schedule-destruction", new { waitingPeriodDays = 7 }, Ct)).JsonAsync();

        var second = await service.AdminClient.PostAsJsonAsync($"/key-management/v1/keypair/{id}/schedule-destruction", new { waitingPeriodDays = 30 }, Ct);

        (await second.ShouldBeProblemAsync(HttpStatusCode.Conflict)).GetProperty("detail").GetString().Should().Contain("already pendingDestruction").And.Contain("cancel the destruction first");
        (await service.AdminClient.GetFromJsonAsync<JsonElement>($"/key-management/v1/keypair/{id}", Ct)).GetProperty("destroyAt").GetInt64().Should().Be(first.GetProperty("destroyAt").GetInt64());
    }

    [Fact]
    public async Task Lifecycle_changes_are_admin_only_and_unknown_ids_are_404()
    {
        var id = await CreateAsync();

        await (await service.GenesysClient.PostAsync($"/key-management/v1/keypair/{id}/disable", null, Ct)).ShouldBeProblemAsync(HttpStatusCode.Forbidden);
        await (await service.AdminClient.PostAsync($"/key-management/v1/keypair/{Guid.NewGuid()}/disable", null, Ct)).ShouldBeProblemAsync(HttpStatusCode.NotFound);
        await (await service.AdminClient.PostAsync("/key-management/v1/keypair/not-a-uuid/enable", null, Ct)).ShouldBeProblemAsync(HttpStatusCode.NotFound);
    }

    private async Task<RSA> PublicKeyAsync(string id)
    {
        var json = await service.GenesysClient.GetFromJsonAsync<JsonElement>($"/key-management/v1/keypair/{id}", Ct);
        var rsa = RSA.Create();
        rsa.ImportRSAPublicKey(Convert.FromBase64String(json.GetProperty("publicKey").GetString()!), out _);
        return rsa;
    }
}

public sealed class SqliteKeyLifecycleEndpointTests(SqliteService service) : KeyLifecycleEndpointTests(service), IClassFixture<SqliteService>;

public sealed class PostgresKeyLifecycleEndpointTests(PostgresService service) : KeyLifecycleEndpointTests(service), IClassFixture<PostgresService>;
