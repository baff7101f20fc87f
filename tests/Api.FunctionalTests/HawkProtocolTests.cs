using System.Net;
using System.Net.Http.Json;
using System.Text;

namespace LocalKeyManager.Api.FunctionalTests;

public sealed class HawkProtocolTests(SqliteService service) : IClassFixture<SqliteService>
{
    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    [Fact]
    public async Task No_header_is_401_with_a_bare_hawk_challenge()
    {
        using var anonymous = service.Factory.CreateClient();

        var response = await anonymous.GetAsync("/key-management/v1/keypair", Ct);

        await response.ShouldBeProblemAsync(HttpStatusCode.Unauthorized);
        response.Headers.WwwAuthenticate.ToString().Should().Be("Hawk");
    }

    [Theory]
    [InlineData("Hawk id=\"genesys-fixture\", ts=\"1\", nonce=\"n\"")]
    [InlineData("Hawk id=\"genesys-fixture\", id=\"x\", ts=\"1\", nonce=\"n\", mac=\"m\"")]
    [InlineData("Hawk id=\"genesys-fixture\", ts=\"1\", nonce=\"n\", mac=\"m\", bogus=\"1\"")]
    [InlineData("Hawk garbage")]
    public async Task A_malformed_header_is_400(string header)
    {
        using var request = new HttpRequestMessage(HttpMethod.Get, "/key-management/v1/keypair");
        request.Options.Set(HawkSigningHandler.Header, header);

        await (await service.GenesysClient.SendAsync(request, Ct)).ShouldBeProblemAsync(HttpStatusCode.BadRequest);
    }

    [Fact]
    public async Task A_head_answer_is_signed_over_the_empty_body_the_client_receives()
    {
        using var request = new HttpRequestMessage(HttpMethod.Head, "/key-management/v1/keypair");

        using var response = await service.GenesysClient.SendAsync(request, Ct);

        response.StatusCode.Should().Be(HttpStatusCode.MethodNotAllowed);
        (await response.Content.ReadAsByteArrayAsync(Ct)).Should().BeEmpty();
        (await HawkSigningHandler.VerifyServerAsync(response, service.Genesys)).Should().BeTrue("a HEAD answer carries no body, so its hash and MAC are over none");
    }

    [Fact]
    public async Task A_replayed_header_is_401_even_though_its_mac_is_right()
    {
        var first = await service.GenesysClient.GetAsync("/key-management/v1/keypair", Ct);
        using var replay = new HttpRequestMessage(HttpMethod.Get, "/key-management/v1/keypair");
        replay.Options.Set(HawkSigningHandler.Header, HawkSigningHandler.SentHeader(first));

        var response = await service.GenesysClient.SendAsync(replay, Ct);

        first.StatusCode.Should().Be(HttpStatusCode.OK);
        await response.ShouldBeProblemAsync(HttpStatusCode.Unauthorized);
        response.Headers.WwwAuthenticate.ToString().Should().StartWith("Hawk");
    }

    [Fact]
    public async Task A_stale_timestamp_is_401_with_server_time_and_tsm_only()
    {
        using var request = new HttpRequestMessage(HttpMethod.Get, "/key-management/v1/keypair");
        request.Options.Set(HawkSigningHandler.ClockOffsetSeconds, -120L);

        var response = await service.GenesysClient.SendAsync(request, Ct);

        await response.ShouldBeProblemAsync(HttpStatusCode.Unauthorized);
        response.Headers.WwwAuthenticate.ToString().Should().MatchRegex("^Hawk ts=\"\\d+\", tsm=\"[A-Za-z0-9+/=]+\", error=\"Stale timestamp\"$");
    }

    [Fact]
    public async Task A_body_that_does_not_match_its_signed_hash_is_401()
    {
        using var request = new HttpRequestMessage(HttpMethod.Post, "/key-management/v1/decrypt") { Content = JsonContent.Create(new { keypairId = service.KeypairId, body = "AAAA" }) };
        var signed = await service.GenesysClient.SendAsync(request, Ct);
        var header = HawkSigningHandler.SentHeader(signed);
        using var tampered = new HttpRequestMessage(HttpMethod.Post, "/key-management/v1/decrypt")
        {
            Content = new StringContent("{\"keypairId\":\"" + service.KeypairId + "\",\"body\":\"AAAB\"}", Encoding.UTF8, "application/json"),
        };
        tampered.Options.Set(HawkSigningHandler.Header, header.Replace("nonce=\"", "nonce=\"x", StringComparison.Ordinal));

        var response = await service.GenesysClient.SendAsync(tampered, Ct);

        await response.ShouldBeProblemAsync(HttpStatusCode.Unauthorized);
    }

    [Fact]
    public async Task Requests_signed_with_ext_and_without_payload_hash_are_accepted_and_signed_back()
    {
        using var request = new HttpRequestMessage(HttpMethod.Post, "/key-management/v1/keypair");
        request.Options.Set(HawkSigningHandler.Ext, "some-app-ext-data");
        request.Options.Set(HawkSigningHandler.WithoutPayloadHash, true);

        var response = await service.GenesysClient.SendAsync(request, Ct);

        response.StatusCode.Should().Be(HttpStatusCode.OK);
        (await HawkSigningHandler.VerifyServerAsync(response, service.Genesys)).Should().BeTrue();
    }

    [Fact]
    public async Task Error_answers_to_authenticated_requests_are_signed_too()
    {
        var response = await service.GenesysClient.GetAsync("/key-management/v1/keypair/00000000-0000-0000-0000-000000000000", Ct);

        response.StatusCode.Should().Be(HttpStatusCode.NotFound);
        (await HawkSigningHandler.VerifyServerAsync(response, service.Genesys)).Should().BeTrue();
    }

    [Fact]
    public async Task The_configured_public_host_and_port_are_what_clients_sign()
    {
        await using var factory = new LkmFactory(settings: new() { ["Hawk:PublicHost"] = "lkm.example.com", ["Hawk:PublicPort"] = "443" });
        var credentials = await factory.CreateCredentialAsync("genesys-public");
        using var local = factory.CreateHawkClient(credentials);
        using var asPublic = factory.CreateDefaultClient(new Uri("https://lkm.example.com"), new HawkSigningHandler(credentials));

        (await local.GetAsync("/key-management/v1/keypair", Ct)).StatusCode.Should().Be(HttpStatusCode.Unauthorized);
        (await asPublic.GetAsync("/key-management/v1/keypair", Ct)).StatusCode.Should().Be(HttpStatusCode.OK);
    }

    [Theory]
    [InlineData("http://xn--bcher-kva.example")]
    [InlineData("http://XN--BCHER-KVA.EXAMPLE:8443")]
    public async Task An_international_host_name_is_signed_as_it_is_sent_in_punycode(string baseAddress)
    {
        // The framework's request.Host turns xn--bcher-kva into bücher; clients sign the punycode.
        using var client = service.Factory.CreateDefaultClient(new Uri(baseAddress), new HawkSigningHandler(service.Genesys));

        var response = await client.GetAsync("/key-management/v1/keypair", Ct);

        response.StatusCode.Should().Be(HttpStatusCode.OK);
    }

    [Fact]
    public async Task The_port_is_signed_as_the_Host_header_writes_it_leading_zero_and_all()
    {
        // @hapi/hawk's server takes the port's digits from the Host header as text, and its
        // client signs the URL's port as written: http://lkm.example.com:08443/ signs "08443".
        using var client = service.Factory.CreateDefaultClient(new Uri("http://lkm.example.com:8443"), new HawkSigningHandler(service.Genesys));
        using var asWritten = new HttpRequestMessage(HttpMethod.Get, "http://lkm.example.com:8443/key-management/v1/keypair");
        asWritten.Headers.Host = "lkm.example.com:08443";
        using var asNumber = new HttpRequestMessage(HttpMethod.Get, "http://lkm.example.com:8443/key-management/v1/keypair");
        asNumber.Headers.Host = "lkm.example.com:8443";
        var signedAsNumber = (await HawkSigningHandler.SignAsync(asNumber, service.Genesys, Ct)).Header;
        using var numberForZero = new HttpRequestMessage(HttpMethod.Get, "http://lkm.example.com:8443/key-management/v1/keypair");
        numberForZero.Headers.Host = "lkm.example.com:08443";
        numberForZero.Options.Set(HawkSigningHandler.Header, signedAsNumber);

        (await client.SendAsync(asWritten, Ct)).StatusCode.Should().Be(HttpStatusCode.OK);
        (await client.SendAsync(numberForZero, Ct)).StatusCode.Should().Be(HttpStatusCode.Unauthorized, "the reference refuses 8443 signed for a Host of :08443");
    }

    [Fact]
    public async Task A_public_host_without_a_public_port_is_taken_as_set_and_warned_about_at_start()
    {
        await using var factory = new LkmFactory(settings: new() { ["Hawk:PublicHost"] = "lkm.example.com" });
        var credentials = await factory.CreateCredentialAsync("genesys-half");
        using var asPort80 = factory.CreateDefaultClient(new Uri("http://lkm.example.com"), new HawkSigningHandler(credentials));

        (await asPort80.GetAsync("/key-management/v1/keypair", Ct)).StatusCode.Should().Be(HttpStatusCode.OK);
        factory.Logs.Lines.Should().ContainSingle(line => line.StartsWith("Warning") && line.Contains("Hawk:PublicHost is set but Hawk:PublicPort is not"));
    }

    [Fact]
    public async Task Forwarded_host_is_believed_only_from_a_configured_proxy()
    {
        await using var trusting = new LkmFactory(settings: new() { ["ForwardedHeaders:KnownNetworks:0"] = "0.0.0.0/0", ["ForwardedHeaders:KnownNetworks:1"] = "::/0" });
        await using var distrusting = new LkmFactory();

        foreach (var (factory, expected) in new[] { (trusting, HttpStatusCode.OK), (distrusting, HttpStatusCode.Unauthorized) })
        {
            var credentials = await factory.CreateCredentialAsync("genesys-forwarded");
            using var client = factory.CreateDefaultClient(new Uri("https://lkm.example.com"), new HawkSigningHandler(credentials), new ForwardedAs("lkm.example.com", "https"));
            var response = await client.GetAsync("/key-management/v1/keypair", Ct);
            response.StatusCode.Should().Be(expected);
        }
    }

    /// <summary>Sends what a TLS-terminating proxy would: the public host in X-Forwarded-Host, the inner host in Host.</summary>
    private sealed class ForwardedAs(string host, string proto) : DelegatingHandler
    {
        protected override Task<HttpResponseMessage> SendAsync(HttpRequestMessage request, CancellationToken cancellationToken)
        {
            request.Headers.Add("X-Forwarded-Host", host);
            request.Headers.Add("X-Forwarded-Proto", proto);
            request.Headers.Add("X-Forwarded-For", "203.0.113.9");
            request.RequestUri = new Uri("http://10.1.2.3:8080" + request.RequestUri!.PathAndQuery);
            return base.SendAsync(request, cancellationToken);
        }
    }
}
