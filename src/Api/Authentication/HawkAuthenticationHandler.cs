using System.Diagnostics;
using System.Security.Claims;
using System.Text.Encodings.Web;
using LocalKeyManager.Api.ErrorHandling;
using LocalKeyManager.Application.Credentials;
using LocalKeyManager.Application.Telemetry;
using LocalKeyManager.Infrastructure.Hawk;
using Microsoft.AspNetCore.Authentication;
using Microsoft.Extensions.Options;

namespace LocalKeyManager.Api.Authentication;

/// <summary>
/// ASP.NET Core's face of Hawk: runs <see cref="HawkAuthenticator"/>, turns a success into a
/// principal with the credential's role, and answers failures as Hawk does: 400 for a malformed
/// header, 401 with <c>WWW-Authenticate</c> otherwise, 403 for a known credential of the wrong role.
/// </summary>
public sealed class HawkAuthenticationHandler(
    IOptionsMonitor<AuthenticationSchemeOptions> options,
    ILoggerFactory loggerFactory,
    UrlEncoder encoder,
    HawkAuthenticator authenticator,
    HawkRequestReader requestReader,
    RequestBodyBuffer bodyBuffer,
    ProblemWriter problems,
    KeyManagerMetrics metrics)
    : AuthenticationHandler<AuthenticationSchemeOptions>(options, loggerFactory, encoder)
{
    protected override async Task<AuthenticateResult> HandleAuthenticateAsync()
    {
        if (!Request.Headers.ContainsKey("Authorization"))
        {
            return AuthenticateResult.NoResult();
        }

        var startedAt = Stopwatch.GetTimestamp();
        var hawkRequest = requestReader.Read(Context);
        var (success, failure) = await authenticator.AuthenticateAsync(
            hawkRequest,
            ct => bodyBuffer.ReadAsync(Context, ct),
            Context.RequestAborted,
            deferReplayCheck: Context.GetEndpoint()?.Metadata.GetMetadata<ReplayCheckedWithLogAttribute>() is not null);

        if (success is null)
        {
            Context.Features.Set(new HawkContextFeature { Failure = failure });
            HawkLog.Failed(Logger, failure!.Reason);
            metrics.AuthenticationFailed(HawkLog.MetricName(failure.Reason));
            return AuthenticateResult.Fail(failure.Message);
        }

        Context.Response.RegisterForDispose(success);
        if (success.UnrecordedNonce is not null)
        {
            // Fail closed: an answer must never leave while the replay check is still owed.
            Context.Response.OnStarting(
                static state => ((HawkAuthentication)state).NonceOutstanding
                    ? throw new InvalidOperationException("The replay check of this request was deferred and never done; the answer is withheld.")
                    : Task.CompletedTask,
                success);
        }

        Context.Features.Set(new HawkContextFeature { Authentication = success, StartedAt = startedAt });
        var identity = new ClaimsIdentity(
            [
                new Claim(ClaimTypes.NameIdentifier, success.CredentialId),
                new Claim(ClaimTypes.Role, CredentialRoles.Names.ToWire(success.Role)),
            ],
            HawkDefaults.Scheme,
            ClaimTypes.NameIdentifier,
            ClaimTypes.Role);
        return AuthenticateResult.Success(new AuthenticationTicket(new ClaimsPrincipal(identity), HawkDefaults.Scheme));
    }

    protected override Task HandleChallengeAsync(AuthenticationProperties properties)
    {
        var failure = Context.Features.Get<HawkContextFeature>()?.Failure;
        if (failure is null)
        {
            // No Hawk header on an endpoint that needs one (failures with a header were counted when they happened).
            failure = HawkFailure.Missing;
            metrics.AuthenticationFailed(HawkLog.MetricName(HawkFailureReason.Missing));
        }

        if (failure.Kind == HawkFailureKind.Malformed)
        {
            return problems.WriteAsync(Context, StatusCodes.Status400BadRequest, "Invalid Hawk header", failure.Message);
        }

        Response.Headers.WWWAuthenticate = failure.WwwAuthenticate;
        return problems.WriteAsync(Context, StatusCodes.Status401Unauthorized, "Unauthorized", failure.Message);
    }

    protected override Task HandleForbiddenAsync(AuthenticationProperties properties)
    {
        metrics.AuthenticationFailed("forbidden");
        return problems.WriteAsync(Context, StatusCodes.Status403Forbidden, "Forbidden", "This credential's role does not allow this operation.");
    }
}
