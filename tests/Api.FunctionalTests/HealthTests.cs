using System.Net;

namespace LocalKeyManager.Api.FunctionalTests;

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

    [Fact]
    public async Task The_openapi_document_describes_every_endpoint_and_the_hawk_scheme()
    {
        using var anonymous = service.Factory.CreateClient();

        var response = await anonymous.GetAsync("/openapi/v1.json", TestContext.Current.CancellationToken);

        response.StatusCode.Should().Be(HttpStatusCode.OK);
        var document = System.Text.Json.JsonDocument.Parse(await response.Content.ReadAsStringAsync(TestContext.Current.CancellationToken)).RootElement;
        document.GetProperty("openapi").GetString().Should().StartWith("3.");
        var paths = document.GetProperty("paths").EnumerateObject().Select(p => p.Name).ToList();
        paths.Should().Contain(["/key-management/v1/decrypt", "/key-management/v1/keypair", "/key-management/v1/keypair/{id}", "/key-management/v1/auth",
            "/key-management/v1/request-log", "/key-management/v1/keypair/import", "/key-management/v1/keypair/{id}/disable"]);
        document.GetProperty("components").GetProperty("securitySchemes").GetProperty("Hawk").GetProperty("scheme").GetString().Should().Be("Hawk");
        document.GetProperty("paths").GetProperty("/key-management/v1/decrypt").GetProperty("post").GetProperty("responses").TryGetProperty("401", out _).Should().BeTrue();
    }
}
