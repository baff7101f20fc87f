using System.Net;
using System.Net.Http.Json;
using System.Text.Json;

namespace LocalKeyManager.Api.FunctionalTests;

internal static class ProblemAssertions
{
    /// <summary>Asserts an RFC 9457 problem with the status and the original's <c>message</c>, and returns it.</summary>
    public static async Task<JsonElement> ShouldBeProblemAsync(this HttpResponseMessage response, HttpStatusCode status)
    {
        var text = await response.Content.ReadAsStringAsync();
        response.StatusCode.Should().Be(status, text);
        response.Content.Headers.ContentType!.ToString().Should().Be("application/problem+json", "every problem has the same content type");
        var problem = JsonSerializer.Deserialize<JsonElement>(text);
        problem.GetProperty("status").GetInt32().Should().Be((int)status);
        problem.GetProperty("title").GetString().Should().NotBeNullOrEmpty();
        var detail = problem.GetProperty("detail").GetString();
        detail.Should().NotBeNullOrEmpty();
        problem.GetProperty("message").GetString().Should().Be(detail);
        text.Should().NotContain(" at LocalKeyManager", "no stack trace reaches a caller");
        return problem;
    }

    public static Task<JsonElement> JsonAsync(this HttpResponseMessage response) => response.Content.ReadFromJsonAsync<JsonElement>();
}
