using LocalKeyManager.Api.Audit;
using LocalKeyManager.Api.Authentication;
using LocalKeyManager.Api.Contracts;
using LocalKeyManager.Api.Contracts.Mapping;
using LocalKeyManager.Api.ErrorHandling;
using LocalKeyManager.Application.Audit.ClearRequestLog;
using LocalKeyManager.Application.Audit.GetRequestLog;
using Mediator;
using Microsoft.AspNetCore.Authorization;
using Microsoft.AspNetCore.Mvc;

namespace LocalKeyManager.Api.Controllers;

[ApiController]
[Route("key-management/v1/request-log")]
[Authorize(Policy = HawkDefaults.AdminPolicy)]
public sealed class RequestLogController(ISender sender) : ControllerBase
{
    /// <summary>The parameters are taken as text so that a bad value is a clear 400, not a binding error.</summary>
    [HttpGet]
    public async Task<IEnumerable<RequestLogEntryResponse>> Get(
        [FromQuery] string? maxEntries,
        [FromQuery] string? earliestTime,
        [FromQuery] string? latestTime,
        CancellationToken cancellationToken) =>
        (await sender.Send(new GetRequestLog(maxEntries, earliestTime, latestTime), cancellationToken)).Select(e => e.ToResponse());

    /// <summary>
    /// Empties the log; the purge is recorded (who, how many) in the same transaction. It takes
    /// nothing narrower: a query or a body (a time bound, say) is refused rather than ignored, since
    /// the caller would otherwise believe it asked for less than everything.
    /// </summary>
    [HttpDelete]
    public async Task<IActionResult> Clear(CancellationToken cancellationToken)
    {
        if (Request.Query.Count > 0 || HasBody())
        {
            return new ProblemResult(
                StatusCodes.Status400BadRequest,
                "Invalid request",
                "DELETE /request-log takes no query parameters and no body: it deletes every entry up to now, and nothing narrower. Nothing was deleted.");
        }

        var origin = HttpContext.Features.Get<RequestOriginFeature>()!.Origin;
        await sender.Send(new ClearRequestLog(origin), cancellationToken);
        HttpContext.Features.Get<RequestAuditFeature>()!.RecordedByHandler = true;
        return Ok();
    }

    /// <summary>Any body at all: a length, chunks, or (HTTP/2 and 3) data frames without a length.</summary>
    private bool HasBody() =>
        HttpContext.Features.Get<Microsoft.AspNetCore.Http.Features.IHttpRequestBodyDetectionFeature>()?.CanHaveBody
            ?? (Request.ContentLength > 0 || Request.Headers.TransferEncoding.Count > 0);
}
