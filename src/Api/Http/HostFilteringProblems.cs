using Microsoft.AspNetCore.HostFiltering;

namespace LocalKeyManager.Api.Http;

/// <summary>
/// With <c>AllowedHosts</c> set, the framework's host filtering (the outermost middleware) refuses
/// a request for another host with a 400 and an HTML page. This gives that refusal the problem
/// body every other error has: the filter is told to write no page, and this filter, outside it,
/// writes the problem for the bodiless 400 it leaves (nothing else the service answers is a 400
/// without a body).
/// </summary>
public sealed class HostFilteringProblems : IStartupFilter
{
    public static void AddTo(IServiceCollection services)
    {
        services.PostConfigure<HostFilteringOptions>(options => options.IncludeFailureMessage = false);
        // Startup filters wrap in the order they were added, the first outermost; the framework's
        // host filtering was added before the application's services.
        services.Insert(0, ServiceDescriptor.Transient<IStartupFilter, HostFilteringProblems>());
    }

    public Action<IApplicationBuilder> Configure(Action<IApplicationBuilder> next) => app =>
    {
        var problems = app.ApplicationServices.GetRequiredService<ErrorHandling.ProblemWriter>();
        app.Use(async (context, inner) =>
        {
            await inner(context);
            if (context.Response is { HasStarted: false, StatusCode: StatusCodes.Status400BadRequest } && context.Response.ContentLength is null)
            {
                await problems.WriteAsync(context, StatusCodes.Status400BadRequest, "The request's Host is not one this service answers to (AllowedHosts).");
            }
        });
        next(app);
    };
}
