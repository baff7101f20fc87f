using LocalKeyManager.Api.Authentication;
using LocalKeyManager.Api.Contracts;
using LocalKeyManager.Api.Contracts.Mapping;
using LocalKeyManager.Application.Credentials.ListHawkCredentials;
using LocalKeyManager.Application.Credentials.RegisterHawkCredential;
using LocalKeyManager.Application.Credentials.RevokeHawkCredential;
using Mediator;
using Microsoft.AspNetCore.Authorization;
using Microsoft.AspNetCore.Mvc;
using Microsoft.AspNetCore.Mvc.ModelBinding;

namespace LocalKeyManager.Api.Controllers;

/// <summary>
/// Hawk credentials. Admin only: the original's open registration was its worst hole. The route
/// id is <c>string?</c> for the reason given on <see cref="KeypairController"/>.
/// </summary>
[ApiController]
[Route("key-management/v1/auth")]
[Authorize(Policy = HawkDefaults.AdminPolicy)]
public sealed class AuthController(ISender sender) : ControllerBase
{
    [HttpPost]
    public async Task<RegisteredCredentialResponse> Register(
        [FromBody(EmptyBodyBehavior = EmptyBodyBehavior.Allow)] RegisterCredentialRequest? request,
        CancellationToken cancellationToken)
    {
        var created = await sender.Send(new RegisterHawkCredential(request?.Id, request?.Role, request?.Algorithm), cancellationToken);
        // The log names what was created (the path does not, and an id may be generated); never its key.
        HttpContext.Features.Get<Audit.RequestAuditFeature>()?.Detail = created.Describe();
        return created.ToResponse();
    }

    [HttpGet]
    public async Task<IEnumerable<CredentialResponse>> List(CancellationToken cancellationToken) =>
        (await sender.Send(new ListHawkCredentials(), cancellationToken)).Select(c => c.ToResponse());

    [HttpPost("{id}/revoke")]
    public async Task<CredentialResponse> Revoke(string? id, CancellationToken cancellationToken) =>
        (await sender.Send(new RevokeHawkCredential(id ?? string.Empty), cancellationToken)).ToResponse();
}
