using Microsoft.AspNetCore.HostFiltering;

namespace LocalKeyManager.Api.Http;

/// <summary>
/// With <c>AllowedHosts</c> set, the framework's host filtering (the outermost middleware) refuses
/// a request for another host with a 400 and an HTML page. This gives that refusal the problem
/// body every other error has: the filter is told to write no page, every request it lets through
/// is marked (<see cref="MarkAccepted"/>, the pipeline's first middleware), and this filter,
/// outside it, writes the problem for an unmarked request it answered. Nothing is added when
/// <c>AllowedHosts</c> is unset or <c>*</c> (every host is accepted).
/// </summary>
public sealed class HostFilteringProblems : IStartupFilter
{
    private static readonly object AcceptedKey = new();

    public static bool Enabled(IConfiguration configuration) => configuration["AllowedHosts"] is { Length: > 0 } hosts && hosts.Trim() != "*";

    public static void AddTo(IServiceCollection services, IConfiguration configuration)
    {
        if (!Enabled(configuration))
        {
            return;
        }

        services.PostConfigure<HostFilteringOptions>(options => options.IncludeFailureMessage = false);
        // Startup filters wrap in the order they were added, the first outermost; the framework's
        // host filtering was added before the application's services.
        services.Insert(0, ServiceDescriptor.Transient<IStartupFilter, HostFilteringProblems>());
    }

    /// <summary>The pipeline's first middleware, inside host filtering: the request's host was accepted.</summary>
    public static void MarkAccepted(IApplicationBuilder app, IConfiguration configuration)
    {
        if (Enabled(configuration))
        {
            app.Use((context, next) =>
            {
                context.Items[AcceptedKey] = true;
                return next(context);
            });
        }
    }

    public Action<IApplicationBuilder> Configure(Action<IApplicationBuilder> next) => app =>
    {
        var problems = app.ApplicationServices.GetRequiredService<ErrorHandling.ProblemWriter>();
        app.Use(async (context, inner) =>
        {
            await inner(context);
            if (!context.Items.ContainsKey(AcceptedKey) && context.Response is { HasStarted: false, StatusCode: StatusCodes.Status400BadRequest })
            {
                await problems.WriteAsync(context, StatusCodes.Status400BadRequest, "The request's Host is not one this service answers to (AllowedHosts).");
            }
        });
        next(app);
    };
}
