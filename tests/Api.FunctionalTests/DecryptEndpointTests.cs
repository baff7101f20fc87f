using System.Net;
using System.Net.Http.Json;
using System.Security.Cryptography;
using System.Text;
using System.Text.Json;

namespace LocalKeyManager.Api.FunctionalTests;

/// <summary>Runs on SQLite and on PostgreSQL (see the sealed classes at the end).</summary>
public abstract class DecryptEndpointTests(ServiceFixture fixture) : ServiceTests(fixture)
{
    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    private Task<HttpResponseMessage> Decrypt(object body, string query = "") =>
        service.GenesysClient.PostAsJsonAsync("/key-management/v1/decrypt" + query, body, Ct);

    private string Encrypt(byte[] secret, RSAEncryptionPadding padding) => Convert.ToBase64String(service.PublicKey.Encrypt(secret, padding));

    [Fact]
    public async Task Decrypt_returns_the_exact_plaintext_bytes_with_oaep_by_default()
    {
        var secret = RandomNumberGenerator.GetBytes(32);

        var response = await Decrypt(new { keypairId = service.KeypairId, body = Encrypt(secret, RSAEncryptionPadding.OaepSHA1) });

        response.StatusCode.Should().Be(HttpStatusCode.OK);
        var json = await response.JsonAsync();
        json.EnumerateObject().Select(p => p.Name).Should().Equal("body");
        Convert.FromBase64String(json.GetProperty("body").GetString()!).Should().Equal(secret);
        (await HawkSigningHandler.VerifyServerAsync(response, service.Genesys)).Should().BeTrue();
        response.Headers.CacheControl!.NoStore.Should().BeTrue("the answer carries a plaintext key");
    }

    [Fact]
    public async Task Decrypt_takes_pkcs1_from_the_query_or_the_body()
    {
        var secret = RandomNumberGenerator.GetBytes(32);
        var ciphertext = Encrypt(secret, RSAEncryptionPadding.Pkcs1);

        var fromQuery = await Decrypt(new { keypairId = service.KeypairId, body = ciphertext }, "?decryptType=pkcs1");
        var fromBody = await Decrypt(new { keypairId = service.KeypairId, body = ciphertext, decryptType = "pkcs1" });

        foreach (var response in new[] { fromQuery, fromBody })
        {
            response.StatusCode.Should().Be(HttpStatusCode.OK);
            Convert.FromBase64String((await response.JsonAsync()).GetProperty("body").GetString()!).Should().Equal(secret);
        }
    }

    [Fact]
    public async Task The_query_decryptType_wins_over_the_body_even_when_empty()
    {
        var secret = RandomNumberGenerator.GetBytes(32);

        var oaepWins = await Decrypt(new { keypairId = service.KeypairId, body = Encrypt(secret, RSAEncryptionPadding.OaepSHA1), decryptType = "pkcs1" }, "?decryptType=");
        var badBodyIgnored = await Decrypt(new { keypairId = service.KeypairId, body = Encrypt(secret, RSAEncryptionPadding.Pkcs1), decryptType = "nonsense" }, "?decryptType=pkcs1");

        oaepWins.StatusCode.Should().Be(HttpStatusCode.OK);
        badBodyIgnored.StatusCode.Should().Be(HttpStatusCode.OK);
    }

    [Fact]
    public async Task A_property_given_twice_is_refused_rather_than_read_as_the_last_one()
    {
        var ciphertext = Encrypt(RandomNumberGenerator.GetBytes(32), RSAEncryptionPadding.OaepSHA1);
        var json = $$"""{"keypairId":"00000000-0000-4000-8000-000000000000","keypairId":"{{service.KeypairId}}","body":"{{ciphertext}}"}""";

        var response = await service.GenesysClient.PostAsync("/key-management/v1/decrypt", new StringContent(json, Encoding.UTF8, "application/json"), Ct);

        var problem = await response.ShouldBeProblemAsync(HttpStatusCode.BadRequest);
        problem.GetProperty("detail").GetString().Should().Contain("each property at most once");
        problem.ToString().Should().NotContain(ciphertext[..40]);
    }

    [Theory]
    [InlineData("5")]
    [InlineData("true")]
    [InlineData("{\"padding\":\"pkcs1\"}")]
    [InlineData("[\"pkcs1\"]")]
    public async Task A_body_decryptType_that_is_not_a_string_is_ignored_when_the_query_has_one_and_refused_otherwise(string bodyValue)
    {
        var secret = RandomNumberGenerator.GetBytes(32);
        var ciphertext = Encrypt(secret, RSAEncryptionPadding.Pkcs1);
        var json = $$"""{"keypairId":"{{service.KeypairId}}","body":"{{ciphertext}}","decryptType":{{bodyValue}}}""";

        var withQuery = await service.GenesysClient.PostAsync("/key-management/v1/decrypt?decryptType=pkcs1", new StringContent(json, System.Text.Encoding.UTF8, "application/json"), Ct);
        var withoutQuery = await service.GenesysClient.PostAsync("/key-management/v1/decrypt", new StringContent(json, System.Text.Encoding.UTF8, "application/json"), Ct);

        withQuery.StatusCode.Should().Be(HttpStatusCode.OK, await withQuery.Content.ReadAsStringAsync(Ct));
        Convert.FromBase64String((await withQuery.JsonAsync()).GetProperty("body").GetString()!).Should().Equal(secret);
        (await withoutQuery.ShouldBeProblemAsync(HttpStatusCode.BadRequest)).GetProperty("detail").GetString().Should().Contain("decryptType");
    }

    [Theory]
    [InlineData("?decryptType=oaep")]
    [InlineData("?decryptType=PKCS1")]
    [InlineData("?decryptType=pkcs1&decryptType=pkcs1")]
    [InlineData("?decryptType=pkcs1&decryptType=")]
    [InlineData("?decryptType=&decryptType=pkcs1")]
    public async Task An_unknown_or_repeated_decryptType_is_400(string query)
    {
        var response = await Decrypt(new { keypairId = service.KeypairId, body = Encrypt([1], RSAEncryptionPadding.OaepSHA1) }, query);

        (await response.ShouldBeProblemAsync(HttpStatusCode.BadRequest)).GetProperty("detail").GetString().Should().Contain("decryptType");
    }

    [Theory]
    [InlineData("application/json; charset=utf-16")]
    [InlineData("application/json; charset=utf-32")]
    [InlineData("text/plain")]
    public async Task A_body_that_is_not_utf8_json_is_a_415_problem(string contentType)
    {
        // 31 bytes: as UTF-16 the last byte is half a character, which once made the formatter throw (a 500).
        var bytes = Encoding.UTF8.GetBytes("{\"keypairId\":\"x\",\"body\":\"AAAA\"}");
        using var content = new ByteArrayContent(bytes);
        content.Headers.TryAddWithoutValidation("Content-Type", contentType);

        var response = await service.GenesysClient.PostAsync("/key-management/v1/decrypt", content, Ct);

        (bytes.Length % 2).Should().Be(1);
        (await response.ShouldBeProblemAsync(HttpStatusCode.UnsupportedMediaType)).GetProperty("detail").GetString().Should().Contain("JSON in UTF-8");
    }

    [Fact]
    public async Task Every_undecryptable_input_gets_one_uniform_400()
    {
        var secret = RandomNumberGenerator.GetBytes(32);
        using var other = RSA.Create(3072);
        var bodies = new[]
        {
            Encrypt(secret, RSAEncryptionPadding.Pkcs1),
            Convert.ToBase64String(other.Encrypt(secret, RSAEncryptionPadding.OaepSHA1)),
            Convert.ToBase64String(RandomNumberGenerator.GetBytes(384)),
            Convert.ToBase64String(RandomNumberGenerator.GetBytes(100)),
            Convert.ToBase64String(RandomNumberGenerator.GetBytes(512)),
        };

        var details = new List<string>();
        foreach (var body in bodies)
        {
            var problem = await (await Decrypt(new { keypairId = service.KeypairId, body })).ShouldBeProblemAsync(HttpStatusCode.BadRequest);
            details.Add(problem.GetRawText().Split("\"traceId\"")[0]);
        }

        details.Distinct().Should().ContainSingle();
    }

    [Fact]
    public async Task An_unknown_keypair_is_400()
    {
        var response = await Decrypt(new { keypairId = Guid.NewGuid().ToString(), body = Encrypt([1], RSAEncryptionPadding.OaepSHA1) });

        (await response.ShouldBeProblemAsync(HttpStatusCode.BadRequest)).GetProperty("detail").GetString().Should().Contain("keypair");
    }

    [Theory]
    [InlineData("{\"keypairId\":\"x\",")]
    [InlineData("[1,2,3]")]
    [InlineData("{\"keypairId\": 12, \"body\": \"AAAA\"}")]
    [InlineData("not json at all")]
    public async Task Malformed_json_is_a_400_problem_that_echoes_nothing(string body)
    {
        using var content = new StringContent(body, Encoding.UTF8, "application/json");

        var response = await service.GenesysClient.PostAsync("/key-management/v1/decrypt", content, Ct);

        var problem = await response.ShouldBeProblemAsync(HttpStatusCode.BadRequest);
        problem.GetRawText().Should().NotContain("keypairId\\\":").And.NotContain("not json");
    }

    [Theory]
    [InlineData("{}")]
    [InlineData("{\"keypairId\":null,\"body\":null}")]
    [InlineData("")]
    public async Task Missing_fields_or_body_are_a_400_naming_them(string body)
    {
        using var content = new StringContent(body, Encoding.UTF8, "application/json");

        var response = await service.GenesysClient.PostAsync("/key-management/v1/decrypt", content, Ct);

        (await response.ShouldBeProblemAsync(HttpStatusCode.BadRequest)).GetProperty("detail").GetString().Should().Contain("keypairId");
    }

    [Theory]
    [InlineData("%%% not base64 %%%")]
    [InlineData("AAA")]
    [InlineData("long")]
    public async Task A_ciphertext_that_is_not_base64_or_too_long_gets_the_same_400_as_one_that_does_not_decrypt(string body)
    {
        body = body == "long" ? Convert.ToBase64String(new byte[3100]) : body;
        var random = await Decrypt(new { keypairId = service.KeypairId, body = Convert.ToBase64String(System.Security.Cryptography.RandomNumberGenerator.GetBytes(384)) });

        var response = await Decrypt(new { keypairId = service.KeypairId, body });

        var expected = await random.ShouldBeProblemAsync(HttpStatusCode.BadRequest);
        var problem = await response.ShouldBeProblemAsync(HttpStatusCode.BadRequest);
        (problem.GetProperty("title").GetString(), problem.GetProperty("detail").GetString(), problem.GetProperty("message").GetString())
            .Should().Be((expected.GetProperty("title").GetString(), expected.GetProperty("detail").GetString(), expected.GetProperty("message").GetString()));
        problem.TryGetProperty("errors", out _).Should().Be(expected.TryGetProperty("errors", out _));
    }

    [Fact]
    public async Task A_body_over_64_KiB_is_413_and_stores_nothing()
    {
        var response = await Decrypt(new { keypairId = service.KeypairId, body = new string('A', 70_000) });

        await response.ShouldBeProblemAsync(HttpStatusCode.RequestEntityTooLarge);
    }

    [Fact]
    public async Task Options_describes_the_request_and_answer()
    {
        using var request = new HttpRequestMessage(HttpMethod.Options, "/key-management/v1/decrypt");

        var response = await service.GenesysClient.SendAsync(request, Ct);

        response.StatusCode.Should().Be(HttpStatusCode.OK);
        var json = await response.JsonAsync();
        json.GetProperty("encryptBody").EnumerateObject().Select(p => p.Name).Should().BeEquivalentTo("keypairId", "body", "decryptType");
        json.GetProperty("decryptResponse").GetProperty("body").ValueKind.Should().Be(JsonValueKind.String);
    }

    [Fact]
    public async Task Plaintexts_and_ciphertexts_never_reach_the_logs()
    {
        var secret = RandomNumberGenerator.GetBytes(32);
        var ciphertext = Encrypt(secret, RSAEncryptionPadding.OaepSHA1);

        (await Decrypt(new { keypairId = service.KeypairId, body = ciphertext })).StatusCode.Should().Be(HttpStatusCode.OK);
        await Decrypt(new { keypairId = service.KeypairId, body = Convert.ToBase64String(RandomNumberGenerator.GetBytes(384)) });

        var logs = string.Join('\n', service.Factory.Logs.Lines);
        logs.Should().NotContain(Convert.ToBase64String(secret)).And.NotContain(ciphertext[..40]).And.NotContain(service.Genesys.Key);
    }
}

public sealed class SqliteDecryptEndpointTests(SqliteService service) : DecryptEndpointTests(service), IClassFixture<SqliteService>;

public sealed class PostgresDecryptEndpointTests(PostgresService service) : DecryptEndpointTests(service), IClassFixture<PostgresService>;
