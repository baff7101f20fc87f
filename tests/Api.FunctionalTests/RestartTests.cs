using System.Net;
using System.Net.Http.Json;
using System.Security.Cryptography;
using System.Text.Json;
using LocalKeyManager.TestSupport;

namespace LocalKeyManager.Api.FunctionalTests;

public sealed class RestartTests
{
    [Theory]
    [InlineData("sqlite")]
    [InlineData("postgres")]
    public async Task Keys_credentials_nonces_and_the_log_survive_a_restart(string provider)
    {
        Assert.SkipWhen(provider == "postgres" && TestDatabase.PostgresServer is null, TestDatabase.PostgresSkipReason);
        var ct = TestContext.Current.CancellationToken;
        await using var database = await TestDatabase.CreateAsync(provider);
        HawkCredentials genesys;
        string keypairId;
        byte[] ciphertext;
        var secret = RandomNumberGenerator.GetBytes(32);
        string usedHeader;

        await using (var first = new LkmFactory(database.Directory, database.Settings))
        {
            genesys = await first.CreateCredentialAsync("genesys-restart");
            using var client = first.CreateHawkClient(genesys);
            var created = await (await client.PostAsync("/key-management/v1/keypair", null, ct)).JsonAsync();
            keypairId = created.GetProperty("id").GetString()!;
            using var rsa = RSA.Create();
            rsa.ImportRSAPublicKey(Convert.FromBase64String(created.GetProperty("publicKey").GetString()!), out _);
            ciphertext = rsa.Encrypt(secret, RSAEncryptionPadding.OaepSHA1);
            usedHeader = HawkSigningHandler.SentHeader(await client.GetAsync("/key-management/v1/keypair", ct));
        }

        await using var second = new LkmFactory(database.Directory, database.Settings);
        using var again = second.CreateHawkClient(genesys);
        var decrypted = await again.PostAsJsonAsync("/key-management/v1/decrypt", new { keypairId, body = Convert.ToBase64String(ciphertext) }, ct);
        using var replay = new HttpRequestMessage(HttpMethod.Get, "/key-management/v1/keypair");
        replay.Options.Set(HawkSigningHandler.Header, usedHeader);
        var replayed = await again.SendAsync(replay, ct);
        var admin = await second.CreateCredentialAsync("admin-restart", "admin");
        using var adminClient = second.CreateHawkClient(admin);
        var log = await adminClient.GetFromJsonAsync<JsonElement[]>("/key-management/v1/request-log", ct);

        decrypted.StatusCode.Should().Be(HttpStatusCode.OK);
        Convert.FromBase64String((await decrypted.JsonAsync()).GetProperty("body").GetString()!).Should().Equal(secret);
        replayed.StatusCode.Should().Be(HttpStatusCode.Unauthorized, "the nonce was stored before the restart");
        log!.Count(e => e.GetProperty("requestMethod").GetString() == "POST" && e.GetProperty("requestUri").GetString() == "/key-management/v1/keypair").Should().Be(1);
    }
}
