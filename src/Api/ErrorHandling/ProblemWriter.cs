using Microsoft.AspNetCore.Mvc;

namespace LocalKeyManager.Api.ErrorHandling;

/// <summary>Writes RFC 9457 problems: <c>status</c>, <c>title</c>, <c>detail</c>, and <c>message</c> (= detail) for the original's scripts.</summary>
public sealed class ProblemWriter(IProblemDetailsService problemDetails)
{
    public Task WriteAsync(HttpContext context, int status, string title, string detail, IDictionary<string, object?>? extensions = null)
    {
        var problem = new ProblemDetails { Status = status, Title = title, Detail = detail };
        if (extensions is not null)
        {
            foreach (var (key, value) in extensions)
            {
                problem.Extensions[key] = value;
            }
        }

        context.Response.StatusCode = status;
        return WriteAsync(context, problem);
    }

    /// <summary>A problem titled by its status alone (<see cref="TitleFor"/>).</summary>
    public Task WriteAsync(HttpContext context, int status, string detail) => WriteAsync(context, status, TitleFor(status), detail);

    /// <summary>
    /// The body of a bare status (no route, a method the route does not take): a problem whatever
    /// the <c>Accept</c> header says, where the framework's status-code pages would fall back to text.
    /// </summary>
    public Task WriteStatusAsync(HttpContext context)
    {
        var status = context.Response.StatusCode;
        return WriteAsync(context, new ProblemDetails
        {
            Status = status,
            // In the sentence case of every other title ("Not found", as for an unknown keypair).
            Title = TitleFor(status),
            Detail = status == StatusCodes.Status415UnsupportedMediaType ? "The request body must be JSON in UTF-8 (Content-Type: application/json)." : null,
        });
    }

    private Task WriteAsync(HttpContext context, ProblemDetails problem)
    {
        // A problem is the answer whatever the Accept header says, in one shape (type, traceId):
        // the framework's writer declines when Accept rules JSON out, so it is asked as if the
        // client had sent none. The request is answered by now; nothing reads its Accept again.
        context.Request.Headers.Accept = default;

        // As the framework's exception handler marks its answers: no cache keeps a refusal.
        var headers = context.Response.Headers;
        headers.CacheControl = "no-cache,no-store";
        headers.Pragma = "no-cache";
        headers.Expires = "-1";
        return problemDetails.WriteAsync(new ProblemDetailsContext { HttpContext = context, ProblemDetails = problem }).AsTask();
    }

    /// <summary>
    /// The title of a problem that is only its status: the reason phrase in the sentence case of
    /// every other title ("Not found", as for an unknown keypair), acronyms kept ("URI too long").
    /// </summary>
    public static string TitleFor(int status)
    {
        var words = Microsoft.AspNetCore.WebUtilities.ReasonPhrases.GetReasonPhrase(status).Split(' ');
        for (var i = 1; i < words.Length; i++)
        {
            if (words[i].Length < 2 || words[i].Any(char.IsLower))
            {
                words[i] = words[i].ToLowerInvariant();
            }
        }

        return string.Join(' ', words);
    }

    /// <summary>
    /// The framework's types cover the common statuses; these are the others the service answers,
    /// so that every problem has its <c>type</c>.
    /// </summary>
    private static string? TypeFor(int status) => status switch
    {
        StatusCodes.Status413PayloadTooLarge => "https://tools.ietf.org/html/rfc9110#section-15.5.14",
        StatusCodes.Status414UriTooLong => "https://tools.ietf.org/html/rfc9110#section-15.5.15",
        StatusCodes.Status429TooManyRequests => "https://tools.ietf.org/html/rfc6585#section-4",
        StatusCodes.Status431RequestHeaderFieldsTooLarge => "https://tools.ietf.org/html/rfc6585#section-5",
        _ => null,
    };

    /// <summary>Applied to every problem the framework writes too (status-code pages, model binding).</summary>
    public static void Customize(ProblemDetailsContext context)
    {
        var problem = context.ProblemDetails;
        problem.Type ??= problem.Status is { } status ? TypeFor(status) : null;
        problem.Detail ??= problem.Title;
        problem.Extensions["message"] = problem.Detail;
        problem.Extensions.Remove("exception");
    }
}
