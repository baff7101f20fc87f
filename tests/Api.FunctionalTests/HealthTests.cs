using System.Text.Json;
using System.Net;
using Microsoft.AspNetCore.DataProtection;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;

namespace LocalKeyManager.Api.FunctionalTests;

[Collection(MetricsReadAlone.Name)]
public sealed class HealthTests(SqliteService service) : IClassFixture<SqliteService>
{
    [Theory]
    [InlineData("/key-management/v1/health")]
    [InlineData("/health")]
    [InlineData("/health/live")]
    [InlineData("/health/ready")]
    [InlineData("/key-management/v1/health/ready")]
    public async Task Probes_answer_OK_as_text_without_authentication(string path)
    {
        using var anonymous = service.Factory.CreateClient();

        var response = await anonymous.GetAsync(path, TestContext.Current.CancellationToken);

        response.StatusCode.Should().Be(HttpStatusCode.OK);
        response.Content.Headers.ContentType!.MediaType.Should().Be("text/plain");
        (await response.Content.ReadAsStringAsync(TestContext.Current.CancellationToken)).Should().Be("OK");
    }

    [Theory]
    [InlineData("/health")]
    [InlineData("/health/live")]
    [InlineData("/health/ready")]
    [InlineData("/key-management/v1/health")]
    public async Task Probes_answer_HEAD_as_load_balancers_send_it(string path)
    {
        using var anonymous = service.Factory.CreateClient();

        var response = await anonymous.SendAsync(new HttpRequestMessage(HttpMethod.Head, path), TestContext.Current.CancellationToken);

        response.StatusCode.Should().Be(HttpStatusCode.OK);
        response.Headers.WwwAuthenticate.Should().BeEmpty();
        response.Content.Headers.ContentType!.MediaType.Should().Be("text/plain");
    }

    [Fact]
    public async Task The_openapi_document_describes_every_endpoint_and_the_hawk_scheme()
    {
        var response = await service.AdminClient.GetAsync("/key-management/v1/openapi/v1.json", TestContext.Current.CancellationToken);

        response.StatusCode.Should().Be(HttpStatusCode.OK);
        response.Content.Headers.GetValues("Content-Type").Should().Equal("application/json; charset=utf-8");
        var document = System.Text.Json.JsonDocument.Parse(await response.Content.ReadAsStringAsync(TestContext.Current.CancellationToken)).RootElement;
        document.GetProperty("openapi").GetString().Should().StartWith("3.");
        var paths = document.GetProperty("paths").EnumerateObject().Select(p => p.Name).ToList();
        paths.Should().Contain(["/key-management/v1/decrypt", "/key-management/v1/keypair", "/key-management/v1/keypair/{id}", "/key-management/v1/auth",
            "/key-management/v1/request-log", "/key-management/v1/keypair/import", "/key-management/v1/keypair/{id}/disable"]);
        document.GetProperty("components").GetProperty("securitySchemes").GetProperty("Hawk").GetProperty("scheme").GetString().Should().Be("Hawk");
        document.GetProperty("paths").GetProperty("/key-management/v1/decrypt").GetProperty("post").GetProperty("responses").TryGetProperty("401", out _).Should().BeTrue();

        // Optional members are not listed as required (absent role means genesys, absent decryptType OAEP, ...).
        var schemas = document.GetProperty("components").GetProperty("schemas");
        string[] Required(string schema) => schemas.GetProperty(schema).TryGetProperty("required", out var r) ? [.. r.EnumerateArray().Select(e => e.GetString()!)] : [];
        Required("RegisterCredentialRequest").Should().BeEquivalentTo(["id"]);
        Required("DecryptRequest").Should().BeEquivalentTo(["keypairId", "body"]);
        Required("ImportKeypairRequest").Should().BeEquivalentTo(["privateKey"]);
        Required("ScheduleDestructionRequest").Should().BeEmpty();
        var waitingPeriod = schemas.GetProperty("ScheduleDestructionRequest").GetProperty("properties").GetProperty("waitingPeriodDays");
        (waitingPeriod.GetProperty("minimum").GetInt32(), waitingPeriod.GetProperty("maximum").GetInt32()).Should().Be((7, 30));
        Required("KeypairResponse").Should().BeEquivalentTo(["id", "publicKey", "dateCreated", "state"], "destroyAt is there only while a destruction is scheduled");
        schemas.GetProperty("KeypairResponse").GetProperty("properties").GetProperty("dateCreated").GetProperty("type").GetString().Should().Be("integer", "a JSON number, never a string");
        Required("Problem").Should().BeEquivalentTo(["status", "title", "detail", "message"]);

        JsonElement Operation(string path, string method) => document.GetProperty("paths").GetProperty(path).GetProperty(method);
        Operation("/key-management/v1/decrypt", "post").GetProperty("parameters").EnumerateArray()
            .Should().ContainSingle(p => p.GetProperty("name").GetString() == "decryptType" && p.GetProperty("in").GetString() == "query");
        Operation("/key-management/v1/keypair/{id}", "get").GetProperty("responses").TryGetProperty("404", out _).Should().BeTrue();
        foreach (var (path, method) in new[] { ("/key-management/v1/keypair", "get"), ("/key-management/v1/decrypt", "post"), ("/key-management/v1/auth", "post") })
        {
            Operation(path, method).GetProperty("responses").GetProperty("200").GetProperty("content").EnumerateObject().Select(c => c.Name)
                .Should().Equal(["application/json"], "the one type the service answers in, whatever the Accept header");
        }

        Operation("/key-management/v1/auth", "post").GetProperty("responses").TryGetProperty("409", out _).Should().BeTrue();
        Operation("/key-management/v1/health/ready", "get").GetProperty("responses").TryGetProperty("503", out _).Should().BeTrue("not ready is a 503 problem");
        Operation("/key-management/v1/keypair/import", "post").GetProperty("responses").TryGetProperty("409", out _).Should().BeTrue();
        Operation("/key-management/v1/decrypt", "post").GetProperty("responses").GetProperty("400").GetProperty("content").GetProperty("application/problem+json")
            .GetProperty("schema").GetProperty("$ref").GetString().Should().Be("#/components/schemas/Problem");
    }

    [Theory]
    [InlineData("/key-management/v1/openapi/v1.json")]
    [InlineData("/key-management/v1/metrics")]
    public async Task The_openapi_document_and_metrics_under_the_base_path_are_for_admins_only(string path)
    {
        var ct = TestContext.Current.CancellationToken;
        using var anonymous = service.Factory.CreateClient();

        // The refusals first: they are what puts lkm_ counters into the metrics on a fresh service.
        var unsigned = await anonymous.GetAsync(path, ct);
        var asGenesys = await service.GenesysClient.GetAsync(path, ct);
        var asAdmin = await service.AdminClient.GetAsync(path, ct);

        asAdmin.StatusCode.Should().Be(HttpStatusCode.OK);
        var text = path.EndsWith("metrics") ? await MetricsScrape.ScrapeAsync(service.AdminClient, path, "lkm_") : await asAdmin.Content.ReadAsStringAsync(ct);
        text.Should().Contain(path.EndsWith("metrics") ? "lkm_" : "\"openapi\"");
        await asGenesys.ShouldBeProblemAsync(HttpStatusCode.Forbidden);
        await unsigned.ShouldBeProblemAsync(HttpStatusCode.Unauthorized);
    }

    [Fact]
    public async Task Signed_metrics_are_not_compressed_so_the_server_signature_covers_what_the_client_reads()
    {
        // The exporter gzips when asked; Hawk's reference client verifies the payload hash over the
        // decoded body, so a signed answer is never content-encoded.
        var ct = TestContext.Current.CancellationToken;
        using var anonymous = service.Factory.CreateClient();
        (await anonymous.GetAsync("/key-management/v1/keypair", ct)).StatusCode.Should().Be(HttpStatusCode.Unauthorized, "an lkm_ counter to scrape");
        await MetricsScrape.ScrapeAsync(service.AdminClient, "/key-management/v1/metrics", "lkm_auth_failures_total");
        using var request = new HttpRequestMessage(HttpMethod.Get, "/key-management/v1/metrics");
        request.Headers.AcceptEncoding.ParseAdd("gzip, deflate, br");

        var response = await service.AdminClient.SendAsync(request, ct);

        response.StatusCode.Should().Be(HttpStatusCode.OK);
        response.Content.Headers.ContentEncoding.Should().BeEmpty();
        (await response.Content.ReadAsStringAsync(ct)).Should().Contain("lkm_auth_failures_total");
        (await HawkSigningHandler.VerifyServerAsync(response, service.Admin)).Should().BeTrue();
    }

    [Fact]
    public async Task Outside_development_the_openapi_document_needs_hawk_at_the_root_too()
    {
        using var anonymous = service.Factory.CreateClient();

        var response = await anonymous.GetAsync("/openapi/v1.json", TestContext.Current.CancellationToken);

        await response.ShouldBeProblemAsync(HttpStatusCode.Unauthorized);
    }

    [Fact]
    public async Task Metrics_count_decrypts_by_outcome_and_auth_failures_by_reason_and_name_no_ids()
    {
        var ct = TestContext.Current.CancellationToken;
        using var anonymous = service.Factory.CreateClient();
        // A scrape just before, as another test on this service may have made: the exporter's 300 ms
        // cache must not hide what this test does next.
        await service.AdminClient.GetStringAsync("/key-management/v1/metrics", ct);
        var ciphertext = Convert.ToBase64String(service.PublicKey.Encrypt(new byte[32], System.Security.Cryptography.RSAEncryptionPadding.OaepSHA1));
        (await System.Net.Http.Json.HttpClientJsonExtensions.PostAsJsonAsync(service.GenesysClient, "/key-management/v1/decrypt", new { keypairId = service.KeypairId, body = ciphertext }, ct)).StatusCode.Should().Be(HttpStatusCode.OK);
        (await anonymous.GetAsync("/key-management/v1/keypair", ct)).StatusCode.Should().Be(HttpStatusCode.Unauthorized);

        var metrics = await MetricsScrape.ScrapeAsync(anonymous, "/metrics", "lkm_decrypts_total{", "reason=\"missing\"");

        metrics.Should().Contain("lkm_decrypts_total{").And.Contain("outcome=\"ok\"").And.Contain("padding=\"oaep\"");
        metrics.Should().Contain("lkm_auth_failures_total{").And.Contain("reason=\"missing\"");
        metrics.Should().Contain("lkm_decrypt_duration_milliseconds_bucket").And.Contain("lkm_request_log_write_duration_milliseconds");
        metrics.Should().Contain("lkm_keypairs{").And.Contain("state=\"enabled\"");
        metrics.Should().NotContain(service.KeypairId).And.NotContain(service.Genesys.Id);
    }

    [Fact]
    public void The_service_keeps_no_data_protection_key_ring()
    {
        // Data Protection's hosted service would create a key ring at start-up and write it,
        // unencrypted, under the service user's home directory; nothing in the service uses it.
        service.Factory.Services.GetService<IDataProtectionProvider>().Should().BeNull();
        service.Factory.Services.GetServices<IHostedService>()
            .Select(hosted => hosted.GetType().Assembly.GetName().Name)
            .Should().NotContain("Microsoft.AspNetCore.DataProtection");
    }
}

/// <summary>
/// Host filtering, on a host of its own: outside <see cref="MetricsReadAlone"/>, whose tests must
/// not see a second host start and stop beside theirs.
/// </summary>
public sealed class HostFilteringTests
{
    [Fact]
    public async Task With_AllowedHosts_set_another_host_gets_a_problem_not_a_page()
    {
        var ct = TestContext.Current.CancellationToken;
        await using var factory = new LkmFactory(settings: new() { ["AllowedHosts"] = "lkm.example.com" });
        using var client = factory.CreateClient();

        var other = await client.SendAsync(new HttpRequestMessage(HttpMethod.Get, "/health") { Headers = { Host = "elsewhere.example.com" } }, ct);
        var allowed = await client.SendAsync(new HttpRequestMessage(HttpMethod.Get, "/health") { Headers = { Host = "lkm.example.com" } }, ct);

        var problem = await other.ShouldBeProblemAsync(HttpStatusCode.BadRequest);
        problem.GetProperty("detail").GetString().Should().Be("The request's Host is not one this service answers to (AllowedHosts).");
        allowed.StatusCode.Should().Be(HttpStatusCode.OK);
    }
}

/// <summary>
/// Tests that read the service's own metrics run when no other host is alive in the test process.
/// Each host makes its meter <c>LocalKeyManager</c> from its own meter factory, and OpenTelemetry
/// listens by meter name: a host started while another lives binds that other host's instruments
/// first and drops its own as duplicates, so its scrape lacked what it had just counted (and the
/// other host's were gone once it stopped). One service per process, as in production, has no such
/// neighbour.
/// </summary>
[CollectionDefinition(Name, DisableParallelization = true)]
public sealed class MetricsReadAlone
{
    public const string Name = "metrics read alone";
}
