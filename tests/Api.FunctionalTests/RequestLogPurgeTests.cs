using System.Net;
using System.Net.Http.Json;
using System.Text.Json;

namespace LocalKeyManager.Api.FunctionalTests;

/// <summary>Runs on SQLite and on PostgreSQL (see the sealed classes at the end).</summary>
public abstract class RequestLogPurgeTests(ServiceFixture fixture) : ServiceTests(fixture)
{
    [Fact]
    public async Task Delete_empties_the_log_and_leaves_a_record_of_who_purged_what()
    {
        var ct = TestContext.Current.CancellationToken;
        await service.GenesysClient.GetAsync("/key-management/v1/keypair", ct);

        var delete = await service.AdminClient.DeleteAsync("/key-management/v1/request-log", ct);
        var entries = await service.AdminClient.GetFromJsonAsync<JsonElement[]>("/key-management/v1/request-log", ct);

        delete.StatusCode.Should().Be(HttpStatusCode.OK);
        (await HawkSigningHandler.VerifyServerAsync(delete, service.Admin)).Should().BeTrue();
        var purge = entries!.Single(e => e.GetProperty("requestMethod").GetString() == "DELETE");
        purge.GetProperty("credentialId").GetString().Should().Be("admin-fixture");
        purge.GetProperty("detail").GetString().Should().MatchRegex("^Purged [1-9][0-9]* request-log entries up to ")
            .And.Contain($" up to {purge.GetProperty("timestamp").GetString()}.", "it purged up to its own time, to the millisecond");
        entries.Should().NotContain(e => e.GetProperty("credentialId").GetString() == "genesys-fixture");
        entries.Should().ContainSingle("the GET that read the log is recorded after it answered");
    }

    [Fact]
    public async Task Delete_with_a_query_or_a_body_is_refused_and_deletes_nothing()
    {
        var ct = TestContext.Current.CancellationToken;
        await service.GenesysClient.GetAsync("/key-management/v1/keypair", ct);
        var before = await service.AdminClient.GetFromJsonAsync<JsonElement[]>("/key-management/v1/request-log?maxEntries=10000", ct);

        var withQuery = await service.AdminClient.DeleteAsync("/key-management/v1/request-log?latestTime=2000-01-01T00:00:00Z", ct);
        using var chunked = new HttpRequestMessage(HttpMethod.Delete, "/key-management/v1/request-log") { Content = JsonContent.Create(new { latestTime = "2000-01-01T00:00:00Z" }) };
        var withChunkedBody = await service.AdminClient.SendAsync(chunked, ct);
        using var sized = new HttpRequestMessage(HttpMethod.Delete, "/key-management/v1/request-log") { Content = new StringContent("""{"latestTime":"2000-01-01T00:00:00Z"}""", System.Text.Encoding.UTF8, "application/json") };
        var withSizedBody = await service.AdminClient.SendAsync(sized, ct);

        foreach (var refused in new[] { withQuery, withChunkedBody, withSizedBody })
        {
            refused.StatusCode.Should().Be(HttpStatusCode.BadRequest);
            refused.Content.Headers.ContentType!.MediaType.Should().Be("application/problem+json");
            (await refused.Content.ReadAsStringAsync(ct)).Should().Contain("Nothing was deleted");
        }

        var after = (await service.AdminClient.GetFromJsonAsync<JsonElement[]>("/key-management/v1/request-log?maxEntries=10000", ct))!;
        after.Select(e => e.GetProperty("id").GetString()).Should().Contain(before!.Select(e => e.GetProperty("id").GetString()), "nothing was purged");
        after.Count(e => e.GetProperty("requestMethod").GetString() == "DELETE" && e.GetProperty("status").GetInt32() == 400).Should().Be(3, "each refusal is on record");
    }
}

public sealed class SqliteRequestLogPurgeTests(SqliteService service) : RequestLogPurgeTests(service), IClassFixture<SqliteService>;

public sealed class PostgresRequestLogPurgeTests(PostgresService service) : RequestLogPurgeTests(service), IClassFixture<PostgresService>;
