using LocalKeyManager.Api.ErrorHandling;
using Microsoft.AspNetCore.Http.Features;

namespace LocalKeyManager.Api.Http;

/// <summary>
/// Refuses a declared body over 64 KiB before anything reads it (Kestrel enforces the same limit
/// on bodies without a length as they stream in), a request target over 8 KiB and headers over
/// 32 KiB, each with its problem (413, 414, 431), and a content-encoded body (415); and gives the
/// rest of the pipeline a body whose framing errors are the client's 400 (<see cref="ClientBodyStream"/>).
/// </summary>
public sealed class RequestShapeMiddleware(RequestDelegate next)
{
    public Task InvokeAsync(HttpContext context, ProblemWriter problems)
    {
        var request = context.Request;
        if (request.ContentLength > RequestLimits.MaxBodyBytes)
        {
            context.Response.Headers.Connection = "close";
            return problems.WriteAsync(context, StatusCodes.Status413PayloadTooLarge, "The request body is larger than 64 KiB.");
        }

        if ((context.Features.Get<IHttpRequestFeature>()?.RawTarget.Length ?? 0) > RequestLimits.MaxTargetBytes)
        {
            return problems.WriteAsync(context, StatusCodes.Status414UriTooLong, "The request target (path and query) is longer than 8 KiB.");
        }

        if (HeaderBytes(request.Headers) > RequestLimits.MaxHeaderBytes)
        {
            context.Response.Headers.Connection = "close";
            return problems.WriteAsync(context, StatusCodes.Status431RequestHeaderFieldsTooLarge, "The request headers are larger than 32 KiB.");
        }

        if (context.Features.Get<IHttpRequestBodyDetectionFeature>()?.CanHaveBody == true)
        {
            if (!IsIdentity(request.Headers.ContentEncoding))
            {
                // A gzipped body would otherwise be read as JSON and refused as such; a plain body
                // labelled gzip would be read as if it were not labelled (RFC 9110 15.5.16).
                context.Response.Headers.AcceptEncoding = "identity";
                return problems.WriteAsync(context, StatusCodes.Status415UnsupportedMediaType, "The request body must not be content-encoded (no Content-Encoding, or identity).");
            }

            request.Body = new ClientBodyStream(request.Body, context);
        }

        return next(context);
    }

    private static bool IsIdentity(Microsoft.Extensions.Primitives.StringValues encodings)
    {
        foreach (var value in encodings)
        {
            foreach (var coding in (value ?? string.Empty).Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries))
            {
                if (!coding.Equals("identity", StringComparison.OrdinalIgnoreCase))
                {
                    return false;
                }
            }
        }

        return true;
    }

    private static long HeaderBytes(IHeaderDictionary headers)
    {
        long total = 0;
        foreach (var (name, values) in headers)
        {
            total += name.Length;
            foreach (var value in values)
            {
                total += value?.Length ?? 0;
            }
        }

        return total;
    }
}
