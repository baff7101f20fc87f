using System.Net;
using System.Net.Http.Headers;
using System.Net.Http.Json;
using LocalKeyManager.Api.Http;
using Microsoft.Extensions.Configuration;

namespace LocalKeyManager.Api.FunctionalTests;

/// <summary>Answers that must stay problems, signed and private, in the corners a review found.</summary>
public sealed class ReviewRegressionTests(SqliteService service) : IClassFixture<SqliteService>
{
    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    [Fact]
    public async Task A_caller_that_accepts_only_text_still_gets_a_problem_never_an_empty_500()
    {
        using var anonymous = service.Factory.CreateClient();
        anonymous.DefaultRequestHeaders.Accept.Add(new MediaTypeWithQualityHeaderValue("text/plain"));

        var unauthenticated = await anonymous.GetAsync("/key-management/v1/nope", Ct);
        using var request = new HttpRequestMessage(HttpMethod.Get, "/key-management/v1/keypair/00000000-0000-0000-0000-000000000000");
        request.Headers.Accept.Add(new MediaTypeWithQualityHeaderValue("text/plain"));
        var notFound = await service.GenesysClient.SendAsync(request, Ct);

        await unauthenticated.ShouldBeProblemAsync(HttpStatusCode.Unauthorized);
        await notFound.ShouldBeProblemAsync(HttpStatusCode.NotFound);
    }

    [Theory]
    [InlineData("GET", "/key-management/v1/no-such-thing", "text/plain", HttpStatusCode.NotFound)]
    [InlineData("GET", "/key-management/v1/no-such-thing", "application/xml", HttpStatusCode.NotFound)]
    [InlineData("GET", "/key-management/v1/decrypt", "text/html", HttpStatusCode.MethodNotAllowed)]
    [InlineData("DELETE", "/key-management/v1/keypair", "text/plain", HttpStatusCode.MethodNotAllowed)]
    public async Task A_route_or_method_that_does_not_exist_is_a_problem_whatever_the_accept_header(string method, string path, string accept, HttpStatusCode status)
    {
        using var request = new HttpRequestMessage(new HttpMethod(method), path);
        request.Headers.Accept.Add(new MediaTypeWithQualityHeaderValue(accept));

        var response = await service.AdminClient.SendAsync(request, Ct);

        var problem = await response.ShouldBeProblemAsync(status);
        problem.GetProperty("title").GetString().Should().BeOneOf(["Not found", "Method not allowed"], "titles in one case, as an unknown keypair's \"Not found\"");
    }

    [Fact]
    public async Task A_body_that_is_not_the_expected_json_gets_the_same_problem_shape_as_every_other_400()
    {
        var malformed = await service.AdminClient.PostAsync("/key-management/v1/auth", new StringContent("{\"id\":", System.Text.Encoding.UTF8, "application/json"), Ct);
        var invalid = await service.AdminClient.PostAsync("/key-management/v1/auth", new StringContent("{\"id\":\"no\"}", System.Text.Encoding.UTF8, "application/json"), Ct);

        var malformedProblem = await malformed.ShouldBeProblemAsync(HttpStatusCode.BadRequest);
        var invalidProblem = await invalid.ShouldBeProblemAsync(HttpStatusCode.BadRequest);
        malformedProblem.GetProperty("detail").GetString().Should().Be("The request body is not valid JSON of the expected shape: an object with each property at most once, of its documented type.");
        malformed.Content.Headers.ContentType!.ToString().Should().Be(invalid.Content.Headers.ContentType!.ToString());
        malformedProblem.EnumerateObject().Select(p => p.Name).Should().Contain(["type", "title", "status", "detail", "message", "traceId"]);
        malformedProblem.EnumerateObject().Select(p => p.Name).Should().BeEquivalentTo(invalidProblem.EnumerateObject().Select(p => p.Name).Except(["errors"]));
    }

    [Theory]
    [InlineData("GET", "/key-management/v1/keypair/%20")]
    [InlineData("GET", "/key-management/v1/keypair/%09%20")]
    [InlineData("GET", "/key-management/v1/keypair/%C2%A0")]
    [InlineData("POST", "/key-management/v1/keypair/%20/disable")]
    [InlineData("POST", "/key-management/v1/keypair/%20/enable")]
    [InlineData("POST", "/key-management/v1/keypair/%20/schedule-destruction")]
    [InlineData("POST", "/key-management/v1/keypair/%20/cancel-destruction")]
    [InlineData("POST", "/key-management/v1/auth/%20/revoke")]
    public async Task A_path_id_of_only_whitespace_is_an_unknown_id_not_a_complaint_about_the_body(string method, string path)
    {
        using var request = new HttpRequestMessage(new HttpMethod(method), path);

        var response = await service.AdminClient.SendAsync(request, Ct);

        var problem = await response.ShouldBeProblemAsync(HttpStatusCode.NotFound);
        problem.GetProperty("detail").GetString().Should().NotContain("body");
    }

    [Theory]
    [InlineData("text/json")]
    [InlineData("application/problem+json")]
    [InlineData("application/vnd.example+json")]
    [InlineData("text/plain")]
    public async Task Successes_are_application_json_whatever_the_accept_header_asks(string accept)
    {
        using var request = new HttpRequestMessage(HttpMethod.Get, "/key-management/v1/keypair");
        request.Headers.Accept.Add(new MediaTypeWithQualityHeaderValue(accept));

        var response = await service.GenesysClient.SendAsync(request, Ct);

        response.StatusCode.Should().Be(HttpStatusCode.OK);
        response.Content.Headers.ContentType!.ToString().Should().Be("application/json; charset=utf-8");
        (await response.JsonAsync()).ValueKind.Should().Be(System.Text.Json.JsonValueKind.Array);
    }

    [Theory]
    [InlineData("text/html")]
    [InlineData("application/xml")]
    [InlineData("text/plain")]
    public async Task Every_problem_has_the_same_fields_and_cache_headers_whatever_the_accept_header_asks(string accept)
    {
        var asked = new[]
        {
            () => new HttpRequestMessage(HttpMethod.Get, "/key-management/v1/keypair/00000000-0000-4000-8000-000000000000"),
            () => new HttpRequestMessage(HttpMethod.Post, "/key-management/v1/auth") { Content = new StringContent("{\"id\":", System.Text.Encoding.UTF8, "application/json") },
            () => new HttpRequestMessage(HttpMethod.Get, "/key-management/v1/request-log?maxEntries=1&maxEntries=2"),
        };

        foreach (var make in asked)
        {
            using var plain = make();
            using var picky = make();
            picky.Headers.Accept.Add(new MediaTypeWithQualityHeaderValue(accept));

            var usual = await service.AdminClient.SendAsync(plain, Ct);
            var answer = await service.AdminClient.SendAsync(picky, Ct);

            var usualProblem = await usual.ShouldBeProblemAsync(usual.StatusCode);
            var problem = await answer.ShouldBeProblemAsync(usual.StatusCode);
            problem.EnumerateObject().Select(p => p.Name).Should().BeEquivalentTo(usualProblem.EnumerateObject().Select(p => p.Name), plain.RequestUri!.ToString());
            problem.EnumerateObject().Select(p => p.Name).Should().Contain(["type", "traceId"]);
            foreach (var response in new[] { usual, answer })
            {
                response.Headers.CacheControl!.ToString().Should().Be("no-store, no-cache", plain.RequestUri!.ToString());
                response.Headers.Pragma.ToString().Should().Be("no-cache");
            }
        }
    }

    [Theory]
    [InlineData("Admin")]
    [InlineData("ADMIN")]
    [InlineData("Genesys")]
    public async Task A_role_is_read_exactly_as_written_and_another_spelling_is_refused(string role)
    {
        var id = "role-case-" + Guid.NewGuid().ToString("N")[..8];

        var response = await service.AdminClient.PostAsJsonAsync("/key-management/v1/auth", new { id, role }, Ct);

        (await response.ShouldBeProblemAsync(HttpStatusCode.BadRequest)).GetProperty("detail").GetString().Should().Contain("role");
        var listed = await service.AdminClient.GetFromJsonAsync<System.Text.Json.JsonElement[]>("/key-management/v1/auth", Ct);
        listed!.Should().NotContain(c => c.GetProperty("id").GetString() == id, "a refused registration creates no credential");
    }

    [Fact]
    public async Task An_authenticated_request_to_an_unknown_route_gets_a_signed_404_problem()
    {
        var response = await service.GenesysClient.GetAsync("/key-management/v1/no-such-thing", Ct);

        await response.ShouldBeProblemAsync(HttpStatusCode.NotFound);
        (await HawkSigningHandler.VerifyServerAsync(response, service.Genesys)).Should().BeTrue("the signed body is the problem the caller received");
    }

    [Fact]
    public async Task A_long_request_target_or_large_headers_get_a_414_or_431_problem_from_the_service()
    {
        await using var factory = new LkmFactory(kestrel: true);
        factory.StartServer();
        using var client = new HttpClient { BaseAddress = factory.KestrelAddress };
        using var headers = new HttpRequestMessage(HttpMethod.Get, "/key-management/v1/keypair");
        headers.Headers.Add("X-Padding", new string('h', 40 * 1024));

        var longTarget = await client.GetAsync("/key-management/v1/keypair?q=" + new string('q', 10 * 1024), Ct);
        var largeHeaders = await client.SendAsync(headers, Ct);
        // Far over the service's limits, Kestrel refuses by itself, before any application code;
        // ServerRejectionProblems gives that answer its problem body (the first on its connection).
        using var fresh = new HttpClient { BaseAddress = factory.KestrelAddress };
        var overKestrel = await fresh.GetAsync("/key-management/v1/keypair?q=" + new string('q', 80 * 1024), Ct);

        (await longTarget.ShouldBeProblemAsync(HttpStatusCode.RequestUriTooLong)).GetProperty("detail").GetString().Should().Contain("8 KiB");
        (await largeHeaders.ShouldBeProblemAsync(HttpStatusCode.RequestHeaderFieldsTooLarge)).GetProperty("detail").GetString().Should().Contain("32 KiB");
        (await overKestrel.ShouldBeProblemAsync(HttpStatusCode.RequestUriTooLong)).GetProperty("detail").GetString().Should().Contain("before reading it");
    }

    [Theory]
    [InlineData("GET /health HTTP/1.1\r\n\r\n", "400 Bad Request")] // no Host
    [InlineData("POST /key-management/v1/decrypt HTTP/1.1\r\nHost: x\r\nContent-Length: abc\r\n\r\n", "400 Bad Request")]
    [InlineData("GARBAGE\r\n\r\n", "400 Bad Request")]
    [InlineData("GET / HTTP/9.9\r\nHost: x\r\n\r\n", "505 HTTP Version Not Supported")]
    public async Task A_request_kestrel_refuses_by_itself_gets_a_problem_body(string request, string statusLine)
    {
        await using var factory = new LkmFactory(kestrel: true);
        factory.StartServer();

        var answer = await RawExchangeAsync(factory, request);

        var (head, body) = SplitAnswer(answer);
        head.Should().StartWith("HTTP/1.1 " + statusLine + "\r\n").And.Contain("\r\nContent-Type: application/problem+json\r\n").And.Contain("\r\nConnection: close\r\n");
        head.Should().Contain($"\r\nContent-Length: {System.Text.Encoding.UTF8.GetByteCount(body)}\r\n", "the length announced is the body sent");
        var problem = System.Text.Json.JsonSerializer.Deserialize<System.Text.Json.JsonElement>(body);
        problem.GetProperty("status").GetInt32().Should().Be(int.Parse(statusLine[..3], System.Globalization.CultureInfo.InvariantCulture));
        problem.GetProperty("title").GetString().Should().Be(ErrorHandling.ProblemWriter.TitleFor(int.Parse(statusLine[..3], System.Globalization.CultureInfo.InvariantCulture)));
        problem.GetProperty("detail").GetString().Should().Contain("refused it before reading it").And.Be(problem.GetProperty("message").GetString());
    }

    [Theory]
    [InlineData("GET /health HTTP/1.1\r\nHost: x\r\n\r\n{\"keypairId\":1}\r\n\r\n", "OK")] // after an answer, bytes that are no request line
    [InlineData("GET /health HTTP/1.1\r\nHost: x\r\n\r\nHEAD /health HTTP/1.1\r\n\r\n", "OK")] // a refused HEAD after an answer
    [InlineData("HEAD /health HTTP/1.1\r\n\r\n", "")] // a refused HEAD
    public async Task A_refusal_the_client_may_not_be_reading_as_an_answer_keeps_its_empty_body(string requests, string before)
    {
        // After an answer, a refused "request" that is no request line is most often a body sent
        // without a length (Node.js does so for DELETE), and the client takes what follows as the
        // answer to its next request: a body it does not expect, or one after a HEAD, would put its
        // reading out of step.
        await using var factory = new LkmFactory(kestrel: true);
        factory.StartServer();

        var answer = await RawExchangeAsync(factory, requests);

        answer.Should().MatchRegex("^(HTTP/1.1 200 OK\r\n[\\s\\S]*\r\n\r\n" + before + ")?HTTP/1.1 400 Bad Request\r\nContent-Length: 0\r\nConnection: close\r\n[^{]*\r\n\r\n$");
    }

    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    public async Task A_request_line_kestrel_refuses_later_on_a_kept_alive_connection_gets_a_problem_body(bool pipelined)
    {
        // Node.js's agent keeps connections alive: a malformed request is often not the first on its
        // connection (independent probe: "Host: 127.0.0.1:" after another request got an empty 400).
        await using var factory = new LkmFactory(kestrel: true);
        factory.StartServer();
        const string First = "GET /health HTTP/1.1\r\nHost: x\r\n\r\n";
        const string Refused = "GET /key-management/v1/keypair HTTP/1.1\r\nHost: 127.0.0.1:abc\r\n\r\n";
        using var socket = new System.Net.Sockets.TcpClient();
        await socket.ConnectAsync(factory.KestrelAddress.Host, factory.KestrelAddress.Port, Ct);
        var stream = socket.GetStream();
        await stream.WriteAsync(System.Text.Encoding.ASCII.GetBytes(pipelined ? First + Refused : First), Ct);
        if (!pipelined)
        {
            // The whole first answer ("OK" ends it), then the next request, as a keep-alive client sends it.
            var first = new List<byte>();
            var one = new byte[1];
            while (!System.Text.Encoding.ASCII.GetString(first.ToArray()).EndsWith("\r\n\r\nOK", StringComparison.Ordinal))
            {
                (await stream.ReadAsync(one, Ct)).Should().Be(1, "the first answer arrives whole");
                first.Add(one[0]);
            }

            await stream.WriteAsync(System.Text.Encoding.ASCII.GetBytes(Refused), Ct);
        }

        using var reader = new StreamReader(stream);
        var answer = await reader.ReadToEndAsync(Ct);

        var refused = answer[answer.LastIndexOf("HTTP/1.1 ", StringComparison.Ordinal)..];
        var (head, body) = SplitAnswer(refused);
        head.Should().StartWith("HTTP/1.1 400 Bad Request\r\n").And.Contain("\r\nContent-Type: application/problem+json\r\n").And.Contain("\r\nConnection: close\r\n");
        System.Text.Json.JsonSerializer.Deserialize<System.Text.Json.JsonElement>(body).GetProperty("message").GetString().Should().StartWith("The request is not valid HTTP");
    }

    [Theory]
    [InlineData("HTTP/1.1 200 OK\r\nContent-Length: 0\r\nConnection: close\r\n\r\n")] // not an error
    [InlineData("HTTP/1.1 400 Bad Request\r\nContent-Length: 12\r\nConnection: close\r\n\r\n")] // has a body
    [InlineData("HTTP/1.1 400 Bad Request\r\nContent-Length: 0\r\n\r\n")] // the connection goes on
    [InlineData("HTTP/1.1 400 Bad Request\r\nContent-Length: 0\r\nConnection: close\r\n\r\n{}")] // more than the headers
    [InlineData("{\"body\":\"HTTP/1.1 400 Bad Request\"}")]
    public void Anything_but_kestrels_bodiless_refusal_passes_unchanged(string written)
    {
        Http.ServerRejectionProblems.Rewrite(System.Text.Encoding.ASCII.GetBytes(written)).Should().BeNull();
    }

    [Fact]
    public void Kestrels_bodiless_refusal_becomes_a_problem_with_its_other_headers_kept()
    {
        var rewritten = Http.ServerRejectionProblems.Rewrite("HTTP/1.1 411 Length Required\r\nContent-Length: 0\r\nConnection: close\r\nDate: Tue, 01 Dec 2026 01:40:39 GMT\r\n\r\n"u8);

        var (head, body) = SplitAnswer(System.Text.Encoding.ASCII.GetString(rewritten!));
        head.Should().Be($"HTTP/1.1 411 Length Required\r\nContent-Type: application/problem+json\r\nContent-Length: {body.Length}\r\nConnection: close\r\nDate: Tue, 01 Dec 2026 01:40:39 GMT\r\n");
        var problem = System.Text.Json.JsonSerializer.Deserialize<System.Text.Json.JsonElement>(body);
        problem.GetProperty("status").GetInt32().Should().Be(411);
        problem.GetProperty("title").GetString().Should().Be("Length required");
        problem.GetProperty("detail").GetString().Should().Be("The server refused the request before reading it.");
    }

    private static async Task<string> RawExchangeAsync(LkmFactory factory, string request)
    {
        using var socket = new System.Net.Sockets.TcpClient();
        await socket.ConnectAsync(factory.KestrelAddress.Host, factory.KestrelAddress.Port, Ct);
        var stream = socket.GetStream();
        await stream.WriteAsync(System.Text.Encoding.ASCII.GetBytes(request), Ct);
        using var reader = new StreamReader(stream);
        return await reader.ReadToEndAsync(Ct);
    }

    private static (string Head, string Body) SplitAnswer(string answer)
    {
        var end = answer.IndexOf("\r\n\r\n", StringComparison.Ordinal);
        end.Should().BePositive("the answer has a header block");
        return (answer[..(end + 2)], answer[(end + 4)..]);
    }

    [Fact]
    public async Task A_header_value_that_is_not_utf8_reaches_the_service_instead_of_an_empty_kestrel_400()
    {
        // "J\xFCrgen" in Latin-1, legal HTTP obs-text: Kestrel refused it with a bodiless 400.
        await using var factory = new LkmFactory(kestrel: true);
        factory.StartServer();
        using var socket = new System.Net.Sockets.TcpClient();
        await socket.ConnectAsync(factory.KestrelAddress.Host, factory.KestrelAddress.Port, Ct);
        var stream = socket.GetStream();
        byte[] request = [.. "GET /key-management/v1/keypair HTTP/1.1\r\nHost: 127.0.0.1\r\nPureCloud-User-Id: J"u8, 0xFC, .. "rgen\r\nConnection: close\r\n\r\n"u8];
        await stream.WriteAsync(request, Ct);

        using var reader = new StreamReader(stream);
        var answer = await reader.ReadToEndAsync(Ct);

        answer.Should().StartWith("HTTP/1.1 401").And.Contain("application/problem+json").And.Contain("\"message\":\"Hawk authentication is required.\"");
    }

    [Fact]
    public async Task Metrics_asked_from_outside_the_allowed_networks_get_a_404_problem()
    {
        await using var factory = new LkmFactory(settings: new() { ["Metrics:AllowedNetworks:0"] = "10.0.0.0/8" }, kestrel: true);
        factory.StartServer();
        using var client = new HttpClient { BaseAddress = factory.KestrelAddress };

        var response = await client.GetAsync("/metrics", Ct);

        await response.ShouldBeProblemAsync(HttpStatusCode.NotFound);
        (await response.Content.ReadAsStringAsync(Ct)).Should().NotContain("lkm_");
    }

    [Theory]
    [InlineData("ForwardedHeaders:KnownProxies", "10.0.0.5")] // one value, as an environment variable gives it
    [InlineData("ForwardedHeaders:KnownProxies", "10.0.0.5, 10.0.0.6")]
    [InlineData("ForwardedHeaders:KnownProxies:0", "10.0.0.5")]
    public void A_proxy_list_is_read_in_every_form_operators_write_it(string key, string value)
    {
        var configuration = new ConfigurationBuilder().AddInMemoryCollection(new Dictionary<string, string?> { [key] = value }).Build();

        ConfiguredAddresses.Addresses(configuration, "ForwardedHeaders:KnownProxies").Should().Contain(IPAddress.Parse("10.0.0.5"));
    }

    [Fact]
    public async Task Forwarded_headers_from_a_proxy_given_as_one_value_are_believed()
    {
        // ForwardedHeaders__KnownProxies=127.0.0.1 was dropped by the binder: every request signed
        // with the public host behind that proxy got a 401, and nothing said why.
        await using var factory = new LkmFactory(settings: new() { ["ForwardedHeaders:KnownProxies"] = "127.0.0.1" }, kestrel: true);
        factory.StartServer();
        var admin = await factory.CreateCredentialAsync("admin-proxied", "admin");
        using var request = new HttpRequestMessage(HttpMethod.Get, "https://lkm.example.com/key-management/v1/keypair");
        var (header, _) = await HawkSigningHandler.SignAsync(request, admin, Ct);

        var answer = await RawExchangeAsync(factory, $"GET /key-management/v1/keypair HTTP/1.1\r\nHost: 127.0.0.1\r\nX-Forwarded-Host: lkm.example.com\r\nX-Forwarded-Proto: https\r\nAuthorization: {header}\r\nConnection: close\r\n\r\n");

        answer.Should().StartWith("HTTP/1.1 200 ");
    }

    [Theory]
    [InlineData("80000000")] // 2 GiB: past what Kestrel counts in an int, reported as a bare IOException
    [InlineData("ffffffffffffffffff")]
    public async Task A_chunk_size_kestrel_cannot_count_is_a_400_recorded_with_the_keypair_it_named(string chunkSize)
    {
        await using var factory = new LkmFactory(kestrel: true);
        factory.StartServer();
        var admin = await factory.CreateCredentialAsync("admin-chunked", "admin");
        var keypairId = Guid.NewGuid().ToString();
        var path = $"/key-management/v1/keypair/{keypairId}/schedule-destruction";
        using var request = new HttpRequestMessage(HttpMethod.Post, new Uri(factory.KestrelAddress, path));
        var (header, _) = await HawkSigningHandler.SignAsync(request, admin, Ct);

        var answer = await RawExchangeAsync(factory, $"POST {path} HTTP/1.1\r\nHost: {factory.KestrelAddress.Authority}\r\nAuthorization: {header}\r\nContent-Type: application/json\r\nTransfer-Encoding: chunked\r\nConnection: close\r\n\r\n{chunkSize}\r\n{{}}\r\n0\r\n\r\n");

        var (head, body) = SplitAnswer(answer);
        head.Should().StartWith("HTTP/1.1 400 ").And.Contain("application/problem+json");
        var problem = System.Text.Json.JsonSerializer.Deserialize<System.Text.Json.JsonElement>(body);
        problem.GetProperty("title").GetString().Should().Be("Bad request");
        problem.GetProperty("detail").GetString().Should().Be("The request could not be read.");
        factory.Logs.Lines.Should().NotContain(l => l.StartsWith("Error ", StringComparison.Ordinal) || l.StartsWith("Critical ", StringComparison.Ordinal), "a client's framing is not the service's error");

        using var admins = factory.CreateHawkClient(admin);
        var entry = (await admins.GetFromJsonAsync<System.Text.Json.JsonElement>("/key-management/v1/request-log?maxEntries=5", Ct))
            .EnumerateArray().Single(e => e.GetProperty("requestUri").GetString() == path);
        entry.GetProperty("status").GetInt32().Should().Be(400);
        entry.GetProperty("keypairId").GetString().Should().Be(keypairId, "the path named it, though the action never ran");
    }

    [Theory]
    [InlineData("gzip")]
    [InlineData("br")]
    [InlineData("identity, gzip")]
    public async Task A_content_encoded_body_is_a_415_not_read_as_if_it_were_plain(string encoding)
    {
        var ciphertext = Convert.ToBase64String(service.PublicKey.Encrypt(new byte[32], System.Security.Cryptography.RSAEncryptionPadding.OaepSHA1));
        using var content = JsonContent.Create(new { keypairId = service.KeypairId, body = ciphertext });
        content.Headers.TryAddWithoutValidation("Content-Encoding", encoding);

        var response = await service.GenesysClient.PostAsync("/key-management/v1/decrypt", content, Ct);

        (await response.ShouldBeProblemAsync(HttpStatusCode.UnsupportedMediaType)).GetProperty("detail").GetString().Should().Contain("Content-Encoding");
        response.Headers.GetValues("Accept-Encoding").Should().Equal("identity");
    }

    [Theory]
    [InlineData("/health?x=1&x=2")]
    [InlineData("/health/ready?nocache=1&nocache=2")]
    [InlineData("/key-management/v1/health/live?a&a")]
    public async Task A_probe_answers_whatever_query_its_caller_adds(string path)
    {
        using var client = service.Factory.CreateClient();

        var response = await client.GetAsync(path, Ct);

        response.StatusCode.Should().Be(HttpStatusCode.OK);
        (await response.Content.ReadAsStringAsync(Ct)).Should().Be("OK");
    }

    [Theory]
    [InlineData("POST")]
    [InlineData("DELETE")]
    [InlineData("PUT")]
    public async Task Metrics_answer_a_scrape_only_and_any_other_method_is_a_405(string method)
    {
        // Signed, so that what answers is the route (an unsigned request to no endpoint is a 401 first).
        using var viaHawk = new HttpRequestMessage(new HttpMethod(method), "/key-management/v1/metrics");
        using var loopback = new HttpRequestMessage(new HttpMethod(method), "/metrics");

        foreach (var response in new[] { await service.AdminClient.SendAsync(viaHawk, Ct), await service.AdminClient.SendAsync(loopback, Ct) })
        {
            await response.ShouldBeProblemAsync(HttpStatusCode.MethodNotAllowed);
            response.Content.Headers.Allow.Should().BeEquivalentTo("GET", "HEAD");
        }

        (await service.AdminClient.GetAsync("/key-management/v1/metrics", Ct)).StatusCode.Should().Be(HttpStatusCode.OK);
    }

    [Theory]
    [InlineData(400, "Bad request")]
    [InlineData(408, "Request timeout")]
    [InlineData(414, "URI too long")]
    [InlineData(505, "HTTP version not supported")]
    public void A_title_that_is_only_its_status_is_in_sentence_case_with_acronyms_kept(int status, string title)
    {
        ErrorHandling.ProblemWriter.TitleFor(status).Should().Be(title);
    }

    [Fact]
    public async Task Secrets_stay_out_of_the_log_even_at_trace_level()
    {
        // At Trace, MVC logs every action's arguments and results as the records print themselves.
        await using var factory = new LkmFactory(settings: new() { ["Logging:LogLevel:Default"] = "Trace", ["Logging:LogLevel:Microsoft.AspNetCore"] = "Trace" });
        using var admin = factory.CreateHawkClient(await factory.CreateCredentialAsync("admin-traced", "admin"));
        using var rsa = System.Security.Cryptography.RSA.Create(2048);
        var privateKey = Convert.ToBase64String(rsa.ExportRSAPrivateKey());
        var secret = System.Security.Cryptography.RandomNumberGenerator.GetBytes(32);
        var ciphertext = Convert.ToBase64String(rsa.Encrypt(secret, System.Security.Cryptography.RSAEncryptionPadding.OaepSHA1));

        var imported = await (await admin.PostAsJsonAsync("/key-management/v1/keypair/import", new { privateKey }, Ct)).JsonAsync();
        var decrypted = await admin.PostAsJsonAsync("/key-management/v1/decrypt", new { keypairId = imported.GetProperty("id").GetString(), body = ciphertext }, Ct);
        var registered = await (await admin.PostAsJsonAsync("/key-management/v1/auth", new { id = "genesys-traced" }, Ct)).JsonAsync();

        (await decrypted.JsonAsync()).GetProperty("body").GetString().Should().Be(Convert.ToBase64String(secret));
        var logs = string.Join('\n', factory.Logs.Lines);
        logs.Should().Contain("Executing action method", "the test is only worth anything at the level that prints arguments");
        logs.Should().NotContain(privateKey[100..140]).And.NotContain(ciphertext[..40]).And.NotContain(Convert.ToBase64String(secret))
            .And.NotContain(registered.GetProperty("authKey").GetString());
        logs.Should().Contain("not shown]");
    }

    [Fact]
    public async Task The_frameworks_own_metrics_settings_are_not_taken_for_misspelt_ones()
    {
        await using var factory = new LkmFactory(settings: new() { ["Metrics:EnabledMetrics:System.Runtime"] = "true" });

        (await factory.CreateClient().GetAsync("/health", Ct)).StatusCode.Should().Be(HttpStatusCode.OK);
    }

    [Fact]
    public void An_international_public_host_is_kept_as_clients_sign_it()
    {
        new Infrastructure.Hawk.HawkOptions { PublicHost = " bücher.example " }.PublicHost.Should().Be("xn--bcher-kva.example");
    }

    [Fact]
    public async Task A_public_host_set_empty_is_unset_as_the_port_is()
    {
        // Hawk__PublicHost= (a compose file's unset variable) made every client's signature fail.
        await using var factory = new LkmFactory(settings: new() { ["Hawk:PublicHost"] = "", ["Hawk:PublicPort"] = "" });
        using var client = factory.CreateHawkClient(await factory.CreateCredentialAsync("genesys-unset-host"));

        (await client.GetAsync("/key-management/v1/keypair", Ct)).StatusCode.Should().Be(HttpStatusCode.OK);
    }

    [Theory]
    [InlineData(null, "127.0.0.1", true)]
    [InlineData(null, "::1", true)]
    [InlineData(null, "203.0.113.9", false)]
    [InlineData("10.0.0.0/8", "10.1.2.3", true)]
    [InlineData("10.0.0.0/8", "127.0.0.1", false)]
    public void Metrics_answer_only_the_allowed_networks(string? allowed, string caller, bool expected)
    {
        var settings = new Dictionary<string, string?>();
        if (allowed is not null)
        {
            settings["Metrics:AllowedNetworks:0"] = allowed;
        }

        var access = new MetricsAccess(new ConfigurationBuilder().AddInMemoryCollection(settings).Build());

        access.Allows(IPAddress.Parse(caller)).Should().Be(expected);
    }
}
