using LocalKeyManager.Infrastructure.Health;
using Microsoft.AspNetCore.Authorization;
using Microsoft.AspNetCore.Mvc;

namespace LocalKeyManager.Api.Controllers;

/// <summary>
/// Probes, unauthenticated. <c>/health</c> and <c>/health/live</c> check nothing outside the
/// process, so a load balancer never drops every instance for one database blip;
/// <c>/health/ready</c> checks the database and the key protector (a 503 problem names what
/// failed). Each also answers <c>HEAD</c>,
/// which some load balancers' checks send, and takes any query (<see cref="Http.IgnoresQueryAttribute"/>).
/// No rate limit applies to liveness: behind a balancer that does not pass the client's address,
/// every request comes from the balancer's, and its checks must not be refused for the traffic's
/// rate. Readiness, which asks the database and the key protector (an HSM), keeps the limits.
/// </summary>
[ApiController]
[AllowAnonymous]
[Http.IgnoresQuery]
public sealed class HealthController(ReadinessCheck readiness) : ControllerBase
{
    [AcceptVerbs("GET", "HEAD", Route = "key-management/v1/health")]
    [AcceptVerbs("GET", "HEAD", Route = "health")]
    [AcceptVerbs("GET", "HEAD", Route = "health/live")]
    [AcceptVerbs("GET", "HEAD", Route = "key-management/v1/health/live")]
    [Microsoft.AspNetCore.RateLimiting.DisableRateLimiting]
    public ContentResult Live() => Content("OK", "text/plain");

    [AcceptVerbs("GET", "HEAD", Route = "health/ready")]
    [AcceptVerbs("GET", "HEAD", Route = "key-management/v1/health/ready")]
    public async Task<IActionResult> Ready(CancellationToken cancellationToken)
    {
        var problem = await readiness.CheckAsync(cancellationToken);
        return problem is null
            ? Content("OK", "text/plain")
            : new ErrorHandling.ProblemResult(StatusCodes.Status503ServiceUnavailable, "Not ready", problem);
    }
}
