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
}
