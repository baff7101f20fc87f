using System.Net;
using System.Net.Http.Json;
using System.Security.Cryptography;
using System.Text;
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
    public async Task The_keypair_a_request_named_is_recorded_in_canonical_form_even_when_refused_before_the_action()
    {
        var upper = service.KeypairId.ToUpperInvariant();
        (await service.GenesysClient.GetAsync($"/key-management/v1/keypair/{upper}", Ct)).StatusCode.Should().Be(HttpStatusCode.OK);
        (await service.GenesysClient.PostAsync($"/key-management/v1/keypair/{upper}/schedule-destruction", null, Ct)).StatusCode.Should().Be(HttpStatusCode.Forbidden);
        (await service.GenesysClient.GetAsync("/key-management/v1/keypair/not-a-uuid", Ct)).StatusCode.Should().Be(HttpStatusCode.NotFound);
        (await service.GenesysClient.DeleteAsync($"/key-management/v1/keypair/{upper}/enable", Ct)).StatusCode.Should().Be(HttpStatusCode.MethodNotAllowed);

        var entries = (await service.AdminClient.GetFromJsonAsync<JsonElement[]>("/key-management/v1/request-log?maxEntries=100", Ct))!;

        string? KeypairOf(string uri) => entries.First(e => e.GetProperty("requestUri").GetString() == uri).GetProperty("keypairId").GetString();
        KeypairOf($"/key-management/v1/keypair/{upper}").Should().Be(service.KeypairId);
        KeypairOf($"/key-management/v1/keypair/{upper}/enable").Should().Be(service.KeypairId, "a method the path does not take (405) still names the keypair it was about");
        KeypairOf($"/key-management/v1/keypair/{upper}/schedule-destruction").Should().Be(service.KeypairId, "a 403 for the role still names the keypair it was about");
        KeypairOf("/key-management/v1/keypair/not-a-uuid").Should().Be("not-a-uuid", "what was asked for, as sent, when it is no UUID");
    }

    [Fact]
    public async Task Text_a_database_cannot_store_is_recorded_replaced_and_fails_neither_its_request_nor_its_neighbours()
    {
        // On PostgreSQL a keypairId of "x\u0000" made its entry's statement fail: a 503 with no
        // record, and valid requests committed in the same group answered 503 too.
        var marker = Guid.NewGuid().ToString("N")[..8];
        HttpContent Json(string json) => new StringContent(json, Encoding.UTF8, "application/json");
        var valid = Enumerable.Range(0, 8).Select(_ => service.GenesysClient.GetAsync($"/key-management/v1/keypair/{service.KeypairId}", Ct)).ToList();
        var unknownKeypair = service.GenesysClient.PostAsync("/key-management/v1/decrypt", Json($"{{\"keypairId\":\"{marker}\\u0000\",\"body\":\"AAAA\"}}"), Ct);
        var loneSurrogate = service.GenesysClient.PostAsync("/key-management/v1/decrypt", Json($"{{\"keypairId\":\"{marker}\\ud800\",\"body\":\"AAAA\"}}"), Ct);
        var badImportId = service.AdminClient.PostAsync("/key-management/v1/keypair/import", Json($"{{\"privateKey\":\"x\",\"id\":\"{marker}\\u0000\"}}"), Ct);

        foreach (var response in await Task.WhenAll(valid))
        {
            response.StatusCode.Should().Be(HttpStatusCode.OK);
        }

        (await (await unknownKeypair).ShouldBeProblemAsync(HttpStatusCode.BadRequest)).GetProperty("detail").GetString().Should().Be("keypairId must be a UUID.");
        await (await loneSurrogate).ShouldBeProblemAsync(HttpStatusCode.BadRequest); // not JSON a string can be read from

        await (await badImportId).ShouldBeProblemAsync(HttpStatusCode.BadRequest);
        var recorded = (await service.AdminClient.GetFromJsonAsync<JsonElement[]>("/key-management/v1/request-log?maxEntries=100", Ct))!
            .Select(e => e.GetProperty("keypairId").GetString()).Where(k => k?.StartsWith(marker, StringComparison.Ordinal) == true);
        recorded.Should().Equal([$"{marker}\uFFFD", $"{marker}\uFFFD"], "the decrypt and the import named these, with NUL in them");
    }

    [Fact]
    public async Task A_decrypt_header_used_again_gets_401_without_the_plaintext_and_only_its_first_use_is_logged()
    {
        var marker = "replay-" + Guid.NewGuid().ToString("N");
        var secret = RandomNumberGenerator.GetBytes(32);
        var json = JsonSerializer.Serialize(new { keypairId = service.KeypairId, body = Convert.ToBase64String(service.PublicKey.Encrypt(secret, RSAEncryptionPadding.OaepSHA1)) });
        HttpRequestMessage Decrypt(string? header = null)
        {
            var request = new HttpRequestMessage(HttpMethod.Post, new Uri(service.GenesysClient.BaseAddress!, "/key-management/v1/decrypt"))
            {
                Content = new StringContent(json, Encoding.UTF8, "application/json"),
            };
            request.Headers.Add("PureCloud-User-Id", marker);
            if (header is not null)
            {
                request.Options.Set(HawkSigningHandler.Header, header);
            }

            return request;
        }

        // One after the other: the replay finds the nonce committed.
        using var first = await service.GenesysClient.SendAsync(Decrypt(), Ct);
        using var again = await service.GenesysClient.SendAsync(Decrypt(HawkSigningHandler.SentHeader(first)), Ct);

        // At the same moment, one fresh header six times: they race to the same commit.
        using var template = Decrypt();
        var (header, _) = await HawkSigningHandler.SignAsync(template, service.Genesys, Ct);
        var racing = await Task.WhenAll(Enumerable.Range(0, 6).Select(_ => service.GenesysClient.SendAsync(Decrypt(header), Ct)));

        first.StatusCode.Should().Be(HttpStatusCode.OK);
        (await first.Content.ReadFromJsonAsync<JsonElement>(Ct)).GetProperty("body").GetString().Should().Be(Convert.ToBase64String(secret));
        foreach (var refused in racing.Where(r => r.StatusCode != HttpStatusCode.OK).Prepend(again))
        {
            var body = await refused.Content.ReadAsStringAsync(Ct);
            await refused.ShouldBeProblemAsync(HttpStatusCode.Unauthorized);
            refused.Headers.WwwAuthenticate.ToString().Should().Be("Hawk error=\"Invalid nonce\"");
            refused.Headers.Contains("Server-Authorization").Should().BeFalse("a refused request did not authenticate");
            body.Should().NotContain(Convert.ToBase64String(secret));
        }

        racing.Count(r => r.StatusCode == HttpStatusCode.OK).Should().Be(1, "a header is accepted once");
        var entries = await service.AdminClient.GetFromJsonAsync<JsonElement[]>("/key-management/v1/request-log?maxEntries=10000", Ct);
        entries!.Where(e => e.GetProperty("userId").GetString() == marker).Select(e => e.GetProperty("status").GetInt32())
            .Should().Equal([200, 200], "the first use of each header is logged, the refused uses are not");
        foreach (var response in racing)
        {
            response.Dispose();
        }
    }

    [Fact]
    public async Task A_nonce_longer_than_its_column_is_accepted_once_on_every_database()
    {
        HttpRequestMessage Get(string nonce)
        {
            var request = new HttpRequestMessage(HttpMethod.Get, $"/key-management/v1/keypair/{service.KeypairId}");
            request.Options.Set(HawkSigningHandler.Nonce, nonce);
            return request;
        }

        // The reference parser sets no limit but the header's 4096 characters; the column holds 512.
        var nonce = "long-" + Guid.NewGuid().ToString("N") + new string('n', 3000);
        using var first = await service.GenesysClient.SendAsync(Get(nonce), Ct);
        using var replay = Get(nonce);
        replay.Options.Set(HawkSigningHandler.Header, HawkSigningHandler.SentHeader(first));
        using var again = await service.GenesysClient.SendAsync(replay, Ct);
        using var longerStill = await service.GenesysClient.SendAsync(Get(nonce + "x"), Ct);

        first.StatusCode.Should().Be(HttpStatusCode.OK, await first.Content.ReadAsStringAsync(Ct));
        await again.ShouldBeProblemAsync(HttpStatusCode.Unauthorized);
        again.Headers.WwwAuthenticate.ToString().Should().Be("Hawk error=\"Invalid nonce\"");
        longerStill.StatusCode.Should().Be(HttpStatusCode.OK, "another long nonce is another request");
    }

    [Fact]
    public async Task A_made_up_method_longer_than_its_column_is_a_405_and_recorded_cut_to_it()
    {
        var marker = "method-" + Guid.NewGuid().ToString("N");
        using var request = new HttpRequestMessage(new HttpMethod("VERYLONGMETHODNAMEXYZ"), "/key-management/v1/keypair");
        request.Headers.Add("PureCloud-User-Id", marker);

        using var response = await service.GenesysClient.SendAsync(request, Ct);

        await response.ShouldBeProblemAsync(HttpStatusCode.MethodNotAllowed);
        var entries = await service.AdminClient.GetFromJsonAsync<JsonElement[]>("/key-management/v1/request-log?maxEntries=10000", Ct);
        var entry = entries!.Single(e => e.GetProperty("userId").GetString() == marker);
        entry.GetProperty("requestMethod").GetString().Should().Be("VERYLONGMETHODNA");
        entry.GetProperty("status").GetInt32().Should().Be(405);
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
    [InlineData("?maxEntries=1&maxEntries=abc")]
    [InlineData("?maxEntries=1&maxEntries=1")]
    [InlineData("?earliestTime=2026-11-30T00:00:00Z&earliestTime=garbage")]
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

    [Fact]
    public async Task A_time_with_an_offset_whose_plus_was_not_percent_encoded_is_still_read()
    {
        var all = await service.AdminClient.GetFromJsonAsync<JsonElement[]>("/key-management/v1/request-log?maxEntries=1", Ct);
        var newest = DateTimeOffset.Parse(all![0].GetProperty("timestamp").GetString()!, System.Globalization.CultureInfo.InvariantCulture);
        // The same instant written at +01:00, with a raw '+' that form decoding turns into a space.
        var plusOne = newest.ToOffset(TimeSpan.FromHours(1)).ToString("yyyy-MM-dd'T'HH:mm:ss.fffzzz", System.Globalization.CultureInfo.InvariantCulture);
        plusOne.Should().EndWith("+01:00");

        var exactly = await service.AdminClient.GetFromJsonAsync<JsonElement[]>($"/key-management/v1/request-log?earliestTime={plusOne}&latestTime={plusOne}", Ct);

        exactly!.Should().Contain(e => e.GetProperty("id").GetString() == all[0].GetProperty("id").GetString());
    }
}

public sealed class SqliteRequestLogEndpointTests(SqliteService service) : RequestLogEndpointTests(service), IClassFixture<SqliteService>;

public sealed class PostgresRequestLogEndpointTests(PostgresService service) : RequestLogEndpointTests(service), IClassFixture<PostgresService>;
