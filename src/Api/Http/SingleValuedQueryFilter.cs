using LocalKeyManager.Api.ErrorHandling;
using Microsoft.AspNetCore.Mvc.Filters;

namespace LocalKeyManager.Api.Http;

/// <summary>
/// Every query parameter of the API takes one value. One given twice is refused with a 400
/// problem, instead of the first one winning and the second never being checked
/// (<c>?maxEntries=1&amp;maxEntries=abc</c>) or the two being joined with a comma.
/// </summary>
public sealed class SingleValuedQueryFilter : IResourceFilter
{
    private const int MaxNameShown = 64;

    public void OnResourceExecuting(ResourceExecutingContext context)
    {
        if (context.HttpContext.GetEndpoint()?.Metadata.GetMetadata<IgnoresQueryAttribute>() is not null)
        {
            return;
        }

        foreach (var (name, values) in context.HttpContext.Request.Query)
        {
            if (values.Count > 1)
            {
                var shown = name.Length <= MaxNameShown ? name : name[..MaxNameShown] + "…";
                context.Result = new ProblemResult(StatusCodes.Status400BadRequest, "Invalid request", $"The query parameter '{shown}' is given more than once.");
                return;
            }
        }
    }

    public void OnResourceExecuted(ResourceExecutedContext context)
    {
    }
}
