using LocalKeyManager.Api.ErrorHandling;

namespace LocalKeyManager.Api.Http;

/// <summary>
/// Refuses a declared body over 64 KiB before anything reads it. (Kestrel enforces the same
/// limit on bodies without a length as they stream in.)
/// </summary>
public sealed class RequestSizeLimitMiddleware(RequestDelegate next)
{
    public Task InvokeAsync(HttpContext context, ProblemWriter problems)
    {
        if (context.Request.ContentLength > RequestLimits.MaxBodyBytes)
        {
            context.Response.Headers.Connection = "close";
            return problems.WriteAsync(context, StatusCodes.Status413PayloadTooLarge, "Payload too large", "The request body is larger than 64 KiB.");
        }

        return next(context);
    }
}
