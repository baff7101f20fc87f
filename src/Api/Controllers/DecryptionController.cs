using LocalKeyManager.Api.Audit;
using LocalKeyManager.Api.Authentication;
using LocalKeyManager.Api.Contracts;
using LocalKeyManager.Application.Keys.Decrypt;
using Mediator;
using Microsoft.AspNetCore.Authorization;
using Microsoft.AspNetCore.Mvc;
using Microsoft.AspNetCore.Mvc.ModelBinding;

namespace LocalKeyManager.Api.Controllers;

[ApiController]
[Route("key-management/v1/decrypt")]
[Authorize(Policy = HawkDefaults.GenesysPolicy)]
public sealed class DecryptionController(ISender sender) : ControllerBase
{
    /// <summary>
    /// Decrypts a recording key. <c>decryptType</c> in the query wins over the body's, even when
    /// empty: when the query has it, the body's value is ignored.
    /// </summary>
    [HttpPost]
    [ReplayCheckedWithLog]
    public async Task<DecryptResponse> Decrypt(
        [FromBody(EmptyBodyBehavior = EmptyBodyBehavior.Allow)] DecryptRequest? request,
        CancellationToken cancellationToken)
    {
        var decryptType = Request.Query.TryGetValue("decryptType", out var fromQuery) ? fromQuery.ToString() : request?.DecryptType;
        HttpContext.Features.Get<RequestAuditFeature>()?.KeypairId = request?.KeypairId;
        var result = await sender.Send(new Decrypt(request?.KeypairId, request?.Body, decryptType), cancellationToken);
        return new DecryptResponse(Convert.ToBase64String(result.Plaintext));
    }

    [HttpOptions]
    public DecryptOptionsResponse Options() => DecryptOptionsResponse.Example;
}
