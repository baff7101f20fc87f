using LocalKeyManager.Api.Audit;
using LocalKeyManager.Api.Authentication;
using LocalKeyManager.Api.Contracts;
using LocalKeyManager.Api.Contracts.Mapping;
using LocalKeyManager.Application.Keys.ChangeKeypairState;
using LocalKeyManager.Application.Keys.GenerateKeypair;
using LocalKeyManager.Application.Keys.GetKeypair;
using LocalKeyManager.Application.Keys.ImportKeypair;
using LocalKeyManager.Application.Keys.ListKeypairs;
using Mediator;
using Microsoft.AspNetCore.Authorization;
using Microsoft.AspNetCore.Mvc;
using Microsoft.AspNetCore.Mvc.ModelBinding;

namespace LocalKeyManager.Api.Controllers;

/// <summary>
/// Keypairs: create, read (genesys and admin); import and lifecycle (admin). Never delete.
/// Route ids are <c>string?</c>: MVC reads an id of only whitespace as null, and a non-nullable
/// parameter would make that a 400 about the body instead of the 404 of any other unknown id.
/// </summary>
[ApiController]
[Route("key-management/v1/keypair")]
[Authorize(Policy = HawkDefaults.GenesysPolicy)]
[AuditedKeypairRouteValue("id")]
public sealed class KeypairController(ISender sender) : ControllerBase
{
    [HttpPost]
    public async Task<KeypairResponse> Create(CancellationToken cancellationToken)
    {
        // Named in the request log before it is stored: if the database fails meanwhile, the 503's
        // entry names the keypair the request may still have created.
        var id = Domain.Keys.KeypairId.New();
        Audit(id.ToString());
        return (await sender.Send(new GenerateKeypair(id), cancellationToken)).ToResponse();
    }

    [HttpGet]
    public async Task<IEnumerable<KeypairResponse>> List(CancellationToken cancellationToken) =>
        (await sender.Send(new ListKeypairs(), cancellationToken)).Select(k => k.ToResponse());

    [HttpGet("{id}")]
    public async Task<KeypairResponse> Get(string? id, CancellationToken cancellationToken)
    {
        Audit(id);
        return (await sender.Send(new GetKeypair(id ?? string.Empty), cancellationToken)).ToResponse();
    }

    [HttpPost("import")]
    [Authorize(Policy = HawkDefaults.AdminPolicy)]
    public async Task<KeypairResponse> Import(
        [FromBody(EmptyBodyBehavior = EmptyBodyBehavior.Allow)] ImportKeypairRequest? request,
        CancellationToken cancellationToken)
    {
        // The id asked for, so a refusal (409: another key under this id) records it too.
        Audit(request?.Id);
        var imported = await sender.Send(new ImportKeypair(request?.PrivateKey, request?.Id, request?.DateCreated), cancellationToken);
        Audit(imported.Keypair.Id.ToString());
        return imported.Keypair.ToResponse();
    }

    [HttpPost("{id}/disable")]
    [Authorize(Policy = HawkDefaults.AdminPolicy)]
    public Task<KeypairResponse> Disable(string? id, CancellationToken cancellationToken) =>
        ChangeAsync(new ChangeKeypairState(id ?? string.Empty, KeypairStateChange.Disable), cancellationToken);

    [HttpPost("{id}/enable")]
    [Authorize(Policy = HawkDefaults.AdminPolicy)]
    public Task<KeypairResponse> Enable(string? id, CancellationToken cancellationToken) =>
        ChangeAsync(new ChangeKeypairState(id ?? string.Empty, KeypairStateChange.Enable), cancellationToken);

    [HttpPost("{id}/schedule-destruction")]
    [Authorize(Policy = HawkDefaults.AdminPolicy)]
    public Task<KeypairResponse> ScheduleDestruction(
        string? id,
        [FromBody(EmptyBodyBehavior = EmptyBodyBehavior.Allow)] ScheduleDestructionRequest? request,
        CancellationToken cancellationToken) =>
        ChangeAsync(new ChangeKeypairState(id ?? string.Empty, KeypairStateChange.ScheduleDestruction, request?.WaitingPeriodDays), cancellationToken);

    [HttpPost("{id}/cancel-destruction")]
    [Authorize(Policy = HawkDefaults.AdminPolicy)]
    public Task<KeypairResponse> CancelDestruction(string? id, CancellationToken cancellationToken) =>
        ChangeAsync(new ChangeKeypairState(id ?? string.Empty, KeypairStateChange.CancelDestruction), cancellationToken);

    private async Task<KeypairResponse> ChangeAsync(ChangeKeypairState change, CancellationToken cancellationToken)
    {
        Audit(change.Id);
        return (await sender.Send(change, cancellationToken)).ToResponse();
    }

    /// <summary>The keypair for the request log (<see cref="AuthenticatedResponseMiddleware"/> puts it in canonical form).</summary>
    private void Audit(string? keypairId) =>
        HttpContext.Features.Get<RequestAuditFeature>()?.KeypairId = keypairId;
}
