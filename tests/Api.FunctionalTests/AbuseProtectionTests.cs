using System.Net;
using Microsoft.Extensions.DependencyInjection;

namespace LocalKeyManager.Api.FunctionalTests;

/// <summary>Rate limits and bad-MAC lockout, both off by default and configurable.</summary>
[Collection(MetricsReadAlone.Name)]
public sealed class AbuseProtectionTests
{
    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    [Fact]
    public async Task Over_the_per_credential_rate_the_answer_is_a_429_problem_with_retry_after()
    {
        await using var factory = new LkmFactory(settings: new() { ["RateLimiting:PerCredentialPerSecond"] = "3" });
        using var client = factory.CreateHawkClient(await factory.CreateCredentialAsync("genesys-limited"));

        // At once, after one unlimited request has warmed the host up, so that the burst falls
        // within one or two of the limiter's 1-second periods however slow the machine: one after
        // the other, on a fresh host, 8 requests could span several periods and all pass.
        (await client.GetAsync("/key-management/v1/health", Ct)).EnsureSuccessStatusCode();
        var answers = await Task.WhenAll(Enumerable.Range(0, 8).Select(_ => client.GetAsync("/key-management/v1/keypair", Ct)));

        answers.Count(a => a.StatusCode == HttpStatusCode.OK).Should().BeInRange(3, 6, "3 a second, and the burst may straddle one refill");
        var refused = answers.First(a => a.StatusCode == HttpStatusCode.TooManyRequests);
        await refused.ShouldBeProblemAsync(HttpStatusCode.TooManyRequests);
        refused.Headers.RetryAfter.Should().NotBeNull();
        using var other = factory.CreateHawkClient(await factory.CreateCredentialAsync("genesys-other"));
        (await other.GetAsync("/key-management/v1/keypair", Ct)).StatusCode.Should().Be(HttpStatusCode.OK, "limits are per credential");
    }

    [Fact]
    public async Task Liveness_probes_and_scrapes_are_never_rate_limited_while_the_api_is()
    {
        // Behind a balancer that does not pass the client's address, every request comes from its
        // address: its health checks must not be refused for the traffic's rate.
        await using var factory = new LkmFactory(settings: new() { ["RateLimiting:PerAddressPerSecond"] = "2" });
        using var anonymous = factory.CreateClient();
        using var client = factory.CreateHawkClient(await factory.CreateCredentialAsync("genesys-busy"));

        var probes = new List<HttpResponseMessage>();
        foreach (var path in new[] { "/health", "/health/live", "/key-management/v1/health", "/key-management/v1/health/live" })
        {
            for (var i = 0; i < 4; i++)
            {
                probes.Add(await anonymous.GetAsync(path, Ct));
            }
        }

        // At once, so that the bucket of 2 a second cannot refill between them on a slow machine.
        var api = await Task.WhenAll(Enumerable.Range(0, 10).Select(_ => client.GetAsync("/key-management/v1/keypair", Ct)));

        probes.Should().OnlyContain(r => r.StatusCode == HttpStatusCode.OK);
        // Scrapes are not sent here: one in a short-lived host of this test process upsets the
        // metrics every other host in it exports. Their endpoints carry the same exemption.
        var scrapes = factory.Services.GetRequiredService<Microsoft.AspNetCore.Routing.EndpointDataSource>().Endpoints
            .OfType<Microsoft.AspNetCore.Routing.RouteEndpoint>().Where(e => e.RoutePattern.RawText?.EndsWith("metrics", StringComparison.Ordinal) == true).ToList();
        scrapes.Should().HaveCount(2).And.OnlyContain(e => e.Metadata.GetMetadata<Microsoft.AspNetCore.RateLimiting.DisableRateLimitingAttribute>() != null);
        var refused = api.First(a => a.StatusCode == HttpStatusCode.TooManyRequests);
        (await refused.ShouldBeProblemAsync(HttpStatusCode.TooManyRequests)).GetProperty("type").GetString().Should().Be("https://tools.ietf.org/html/rfc6585#section-4");
    }

    [Fact]
    public async Task After_repeated_bad_macs_an_id_is_locked_out_even_with_the_right_key_and_it_reads_like_a_bad_mac()
    {
        await using var factory = new LkmFactory(settings: new() { ["Hawk:LockoutThreshold"] = "3", ["Hawk:LockoutSeconds"] = "60" });
        var credentials = await factory.CreateCredentialAsync("genesys-lockout");
        using var right = factory.CreateHawkClient(credentials);
        using var wrong = factory.CreateHawkClient(credentials with { Key = "guess" });

        (await right.GetAsync("/key-management/v1/keypair", Ct)).StatusCode.Should().Be(HttpStatusCode.OK);
        for (var i = 0; i < 3; i++)
        {
            (await wrong.GetAsync("/key-management/v1/keypair", Ct)).StatusCode.Should().Be(HttpStatusCode.Unauthorized);
        }

        var locked = await right.GetAsync("/key-management/v1/keypair", Ct);
        var badMac = await wrong.GetAsync("/key-management/v1/keypair", Ct);

        await locked.ShouldBeProblemAsync(HttpStatusCode.Unauthorized);
        locked.Headers.WwwAuthenticate.ToString().Should().Be(badMac.Headers.WwwAuthenticate.ToString());
        using var anonymous = factory.CreateClient();
        (await MetricsScrape.ScrapeAsync(anonymous, "/metrics", "reason=\"locked_out\"")).Should().Contain("reason=\"locked_out\"");
    }

    [Fact]
    public async Task By_default_nothing_is_limited_or_locked()
    {
        await using var factory = new LkmFactory();
        var credentials = await factory.CreateCredentialAsync("genesys-default");
        using var right = factory.CreateHawkClient(credentials);
        using var wrong = factory.CreateHawkClient(credentials with { Key = "guess" });
        for (var i = 0; i < 10; i++)
        {
            await wrong.GetAsync("/key-management/v1/keypair", Ct);
        }

        var answers = await Task.WhenAll(Enumerable.Range(0, 30).Select(_ => right.GetAsync("/key-management/v1/keypair", Ct)));

        answers.Should().OnlyContain(a => a.StatusCode == HttpStatusCode.OK);
    }
}
