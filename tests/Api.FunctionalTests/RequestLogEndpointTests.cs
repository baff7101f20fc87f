using System.Net;
using System.Net.Http.Json;
using System.Text.Json;

namespace LocalKeyManager.Api.FunctionalTests;

/// <summary>Runs on SQLite and on PostgreSQL (see the sealed classes at the end).</summary>
public abstract class RequestLogEndpointTests(ServiceFixture fixture) : ServiceTests(fixture)
{
    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    [Fact]
    public async Task Every_authenticated_request_is_recorded_with_who_what_and_outcome()
    {
        using var request = new HttpRequestMessage(HttpMethod.Get, $"/key-management/v1/keypair/{service.KeypairId}");
        request.Headers.Add("PureCloud-User-Id", "user-1234");
        (await service.GenesysClient.SendAsync(request, Ct)).StatusCode.Should().Be(HttpStatusCode.OK);
        (await service.GenesysClient.GetAsync("/key-management/v1/request-log", Ct)).StatusCode.Should().Be(HttpStatusCode.Forbidden);

        var entries = await service.AdminClient.GetFromJsonAsync<JsonElement[]>("/key-management/v1/request-log?maxEntries=100", Ct);

        var get = entries!.First(e => e.GetProperty("requestUri").GetString() == $"/key-management/v1/keypair/{service.KeypairId}");
        get.GetProperty("userId").GetString().Should().Be("user-1234");
        get.GetProperty("credentialId").GetString().Should().Be("genesys-fixture");
        get.GetProperty("requestMethod").GetString().Should().Be("GET");
        get.GetProperty("status").GetInt32().Should().Be(200);
        get.GetProperty("keypairId").GetString().Should().Be(service.KeypairId);
        get.GetProperty("id").GetString().Should().MatchRegex("^[0-9a-f-]{36}$");
        get.GetProperty("timestamp").GetString().Should().MatchRegex(@"^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z$");
        get.GetProperty("timestampString").GetString().Should().Be(get.GetProperty("timestamp").GetString()![..^1]);
        entries!.Should().Contain(e => e.GetProperty("requestUri").GetString() == "/key-management/v1/request-log" && e.GetProperty("status").GetInt32() == 403
            && e.GetProperty("userId").GetString() == "NO-USER-ID");
        entries.Select(e => e.GetProperty("timestamp").GetString()).Should().BeInDescendingOrder(StringComparer.Ordinal);
    }

    [Fact]
    public async Task Unauthenticated_requests_are_not_written_row_by_row()
    {
        using var anonymous = service.Factory.CreateClient();
        (await anonymous.GetAsync("/key-management/v1/keypair?marker=anonymous-probe", Ct)).StatusCode.Should().Be(HttpStatusCode.Unauthorized);

        var entries = await service.AdminClient.GetFromJsonAsync<JsonElement[]>("/key-management/v1/request-log?maxEntries=10000", Ct);

        entries!.Should().NotContain(e => e.GetProperty("credentialId").GetString() == null);
    }

    [Theory]
    [InlineData("?maxEntries=0")]
    [InlineData("?maxEntries=10001")]
    [InlineData("?maxEntries=ten")]
    [InlineData("?earliestTime=yesterday")]
    [InlineData("?latestTime=2026-02-30T00:00:00Z")]
    public async Task Bad_query_parameters_are_400(string query)
    {
        await (await service.AdminClient.GetAsync("/key-management/v1/request-log" + query, Ct)).ShouldBeProblemAsync(HttpStatusCode.BadRequest);
    }

    [Fact]
    public async Task Time_bounds_are_inclusive_and_maxEntries_limits()
    {
        var all = await service.AdminClient.GetFromJsonAsync<JsonElement[]>("/key-management/v1/request-log?maxEntries=10000", Ct);
        var newest = all![0].GetProperty("timestamp").GetString()!;

        var exactly = await service.AdminClient.GetFromJsonAsync<JsonElement[]>($"/key-management/v1/request-log?earliestTime={newest}&latestTime={newest}", Ct);
        var one = await service.AdminClient.GetFromJsonAsync<JsonElement[]>("/key-management/v1/request-log?maxEntries=1", Ct);

        exactly!.Should().Contain(e => e.GetProperty("timestamp").GetString() == newest);
        exactly.Should().OnlyContain(e => e.GetProperty("timestamp").GetString() == newest);
        one!.Should().ContainSingle();
    }
}

public sealed class SqliteRequestLogEndpointTests(SqliteService service) : RequestLogEndpointTests(service), IClassFixture<SqliteService>;

public sealed class PostgresRequestLogEndpointTests(PostgresService service) : RequestLogEndpointTests(service), IClassFixture<PostgresService>;
