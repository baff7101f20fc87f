using LocalKeyManager.Api.Audit;
using LocalKeyManager.Api.Authentication;
using LocalKeyManager.Api.Contracts;
using LocalKeyManager.Api.Contracts.Mapping;
using LocalKeyManager.Application.Keys.GenerateKeypair;
using LocalKeyManager.Application.Keys.GetKeypair;
using LocalKeyManager.Application.Keys.ListKeypairs;
using Mediator;
using Microsoft.AspNetCore.Authorization;
using Microsoft.AspNetCore.Mvc;

namespace LocalKeyManager.Api.Controllers;

[ApiController]
[Route("key-management/v1/keypair")]
[Authorize(Policy = HawkDefaults.GenesysPolicy)]
public sealed class KeypairController(ISender sender) : ControllerBase
{
    [HttpPost]
    public async Task<KeypairResponse> Create(CancellationToken cancellationToken)
    {
        var keypair = await sender.Send(new GenerateKeypair(), cancellationToken);
        HttpContext.Features.Get<RequestAuditFeature>()?.KeypairId = keypair.Id.ToString();
        return keypair.ToResponse();
    }

    [HttpGet]
    public async Task<IEnumerable<KeypairResponse>> List(CancellationToken cancellationToken) =>
        (await sender.Send(new ListKeypairs(), cancellationToken)).Select(k => k.ToResponse());

    [HttpGet("{id}")]
    public async Task<KeypairResponse> Get(string id, CancellationToken cancellationToken)
    {
        HttpContext.Features.Get<RequestAuditFeature>()?.KeypairId = id;
        return (await sender.Send(new GetKeypair(id), cancellationToken)).ToResponse();
    }
}
