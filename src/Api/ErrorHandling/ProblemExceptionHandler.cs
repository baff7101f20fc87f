using LocalKeyManager.Application.Errors;
using LocalKeyManager.Domain.Crypto;
using LocalKeyManager.Infrastructure.Persistence;
using Microsoft.AspNetCore.Diagnostics;

namespace LocalKeyManager.Api.ErrorHandling;

/// <summary>
/// The one place exceptions become answers: application refusals become their 4xx problem,
/// an unreachable database a 503, anything else a 500 that says nothing of the internals.
/// </summary>
public sealed partial class ProblemExceptionHandler(ProblemWriter problems, DatabaseOutage outage, ILogger<ProblemExceptionHandler> logger) : IExceptionHandler
{
    public async ValueTask<bool> TryHandleAsync(HttpContext httpContext, Exception exception, CancellationToken cancellationToken)
    {
        if (httpContext.Response.HasStarted)
        {
            return false;
        }

        if (exception is OperationCanceledException && httpContext.RequestAborted.IsCancellationRequested)
        {
            // The client went away; nobody reads the answer.
            httpContext.Response.StatusCode = 499;
            return true;
        }

        switch (exception)
        {
            case ValidationFailedException e:
                await problems.WriteAsync(httpContext, 400, e.Title, e.Message, new Dictionary<string, object?> { ["errors"] = e.Errors });
                return true;
            case UndecryptableException e:
                await problems.WriteAsync(httpContext, 400, e.Title, e.Message);
                return true;
            case NotFoundException e:
                await problems.WriteAsync(httpContext, 404, e.Title, e.Message);
                return true;
            case ConflictException e:
                await problems.WriteAsync(httpContext, 409, e.Title, e.Message);
                return true;
            case ForbiddenException e:
                await problems.WriteAsync(httpContext, 403, e.Title, e.Message);
                return true;
            case UnavailableException e:
                httpContext.Response.Headers.RetryAfter = "1";
                await problems.WriteAsync(httpContext, 503, e.Title, e.Message);
                return true;
            case BadHttpRequestException e:
                await problems.WriteAsync(httpContext, e.StatusCode, e.StatusCode switch
                {
                    StatusCodes.Status413PayloadTooLarge => "The request body is larger than 64 KiB.",
                    StatusCodes.Status408RequestTimeout => "The request body did not arrive in time.",
                    _ => "The request could not be read.",
                });
                return true;
            case KeyUnwrapException:
                // Most often this instance's master keys are not the ones the key was wrapped under
                // (a key file that is not the shared one, an HSM key label missing, an HSM gone);
                // rarely the stored blob itself is damaged. Either way the service cannot serve the
                // key now: a 503, as for any store it depends on, never a 500.
                LogKeyUnusable(logger, httpContext.Request.Path, exception);
                await problems.WriteAsync(httpContext, 503, "Key unavailable", "This instance could not unwrap the stored key: its master key configuration does not match the key's, or the stored key is damaged. Operators have been alerted in the service log.");
                return true;
        }

        if (outage.Observe(exception))
        {
            LogUnavailable(logger, exception);
            httpContext.Response.Headers.RetryAfter = "1";
            await problems.WriteAsync(
                httpContext,
                503,
                "Service unavailable",
                exception is DatabaseTimeoutException
                    ? "The key store did not answer in time. A change this request asked for may still be made: check before you retry."
                    : "The key store is temporarily unavailable. Retry shortly.");
            return true;
        }

        LogUnexpected(logger, exception);
        await problems.WriteAsync(httpContext, 500, "Internal error", "An unexpected error occurred. It has been logged.");
        return true;
    }

    [LoggerMessage(Level = LogLevel.Critical, Message = "A wrapped key failed to unwrap while serving {Path}. Check this instance's master key configuration (key file, KeyProtection settings, HSM token and labels) against the instances that still serve the key before treating the stored key as damaged")]
    private static partial void LogKeyUnusable(ILogger logger, PathString path, Exception exception);

    [LoggerMessage(Level = LogLevel.Error, Message = "The database is unavailable")]
    private static partial void LogUnavailable(ILogger logger, Exception exception);

    [LoggerMessage(Level = LogLevel.Error, Message = "Unhandled exception")]
    private static partial void LogUnexpected(ILogger logger, Exception exception);
}
