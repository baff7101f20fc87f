using LocalKeyManager.Api.Audit;
using LocalKeyManager.Api.Http;

namespace LocalKeyManager.Api;

/// <summary>Builds the web service: configuration, services and the request pipeline.</summary>
public static partial class ServiceHost
{
    public static WebApplication Build(string[] args)
    {
        var builder = WebApplication.CreateBuilder(new WebApplicationOptions
        {
            Args = args,
            ContentRootPath = AppContext.BaseDirectory,
        });
        builder.WebHost.ConfigureKestrel(kestrel =>
        {
            kestrel.AddServerHeader = false;
            kestrel.Limits.MaxRequestBodySize = RequestLimits.MaxBodyBytes;
            kestrel.Limits.MaxRequestLineSize = RequestLimits.ServerLimitFactor * RequestLimits.MaxTargetBytes;
            kestrel.Limits.MaxRequestHeadersTotalSize = RequestLimits.ServerLimitFactor * RequestLimits.MaxHeaderBytes;
            kestrel.Limits.RequestHeadersTimeout = TimeSpan.FromSeconds(10);
            // Header values are UTF-8; bytes that are not (Latin-1 obs-text, which HTTP allows)
            // become U+FFFD instead of Kestrel's bodiless 400, so the service answers with its
            // own status and problem (a PureCloud-User-Id is then logged with the replacement).
            kestrel.RequestHeaderEncodingSelector = static _ => LenientUtf8;
            // What Kestrel still refuses by itself gets a problem body too.
            kestrel.ConfigureEndpointDefaults(ServerRejectionProblems.Use);
        });
        builder.Services.AddKeyManagerCore(builder.Configuration);
        builder.Services.AddApi(builder.Configuration);
        HostFilteringProblems.AddTo(builder.Services, builder.Configuration);

        var app = builder.Build();
        Configure(app);
        return app;
    }

    /// <summary>
    /// The pipeline. The outer exception handler guards authentication and auditing; the inner
    /// one answers the endpoints' exceptions inside the audited section, so the request log
    /// records the status the caller actually received.
    /// </summary>
    private static void Configure(WebApplication app)
    {
        var hawk = app.Services.GetRequiredService<Microsoft.Extensions.Options.IOptions<Infrastructure.Hawk.HawkOptions>>().Value;
        if ((hawk.PublicHost is null) != (hawk.PublicPort is null))
        {
            // Each overrides on its own; half of the public address is a common misconfiguration
            // (every Genesys request then fails with 401), so say so at start-up.
            LogHalfPublicAddress(app.Logger, hawk.PublicHost is null ? "Hawk:PublicPort" : "Hawk:PublicHost", hawk.PublicHost is null ? "Hawk:PublicHost" : "Hawk:PublicPort");
        }

        // Read now, so that a setting that does not hold stops start-up before anything is created.
        DependencyInjection.CheckSettings(app.Services);
        HostFilteringProblems.MarkAccepted(app, app.Configuration);
        app.UseForwardedHeaders();
        app.UseExceptionHandler();
        if (app.Environment.IsDevelopment())
        {
            // A browsable reference of /openapi/v1.json at /swagger (assets embedded, no CDN),
            // ahead of authentication: it is documentation, not data.
            app.UseSwaggerUI(options => options.SwaggerEndpoint("/openapi/v1.json", "Local Key Manager v1"));
        }

        app.UseMiddleware<RequestShapeMiddleware>();
        var problems = app.Services.GetRequiredService<ErrorHandling.ProblemWriter>();
        var metricsAccess = app.Services.GetRequiredService<MetricsAccess>();
        app.UseWhen(
            context => context.Request.Path.StartsWithSegments("/metrics") && !metricsAccess.Allows(context.Connection.RemoteIpAddress),
            branch => branch.Run(context =>
            {
                context.Response.StatusCode = StatusCodes.Status404NotFound;
                return problems.WriteStatusAsync(context);
            }));
        app.UseAuthentication();
        app.UseMiddleware<AuthenticatedResponseMiddleware>();
        app.UseExceptionHandler();
        app.UseStatusCodePages(context => problems.WriteStatusAsync(context.HttpContext));
        app.UseRateLimiter();
        app.UseAuthorization();
        app.MapControllers();

        // API.md 4.4: the metrics and the OpenAPI document under the base path, for admins (Hawk).
        app.MapOpenApi("/key-management/v1/openapi/{documentName}.json").RequireAuthorization(Authentication.HawkDefaults.AdminPolicy).AddEndpointFilter(SpacedJsonContentType);
        // The exporter maps every method; a scrape is a GET (or HEAD), anything else a 405 as on every route.
        // Like the probes, a scrape is not rate limited (a monitor must not lose sight under load).
        var scrape = new HttpMethodMetadata([HttpMethods.Get, HttpMethods.Head]);
        app.MapPrometheusScrapingEndpoint("/key-management/v1/metrics").RequireAuthorization(Authentication.HawkDefaults.AdminPolicy).WithMetadata(scrape).DisableRateLimiting();

        // Prometheus cannot sign Hawk: /metrics answers only Metrics:AllowedNetworks (above).
        app.MapPrometheusScrapingEndpoint().AllowAnonymous().WithMetadata(scrape).DisableRateLimiting();
        if (app.Environment.IsDevelopment())
        {
            // For the Swagger UI, which cannot sign Hawk either; only in Development.
            app.MapOpenApi().AllowAnonymous();
        }
    }

    /// <summary>The OpenAPI endpoint writes <c>application/json;charset=utf-8</c>; every other JSON answer has the space.</summary>
    private static async ValueTask<object?> SpacedJsonContentType(EndpointFilterInvocationContext context, EndpointFilterDelegate next)
    {
        var response = context.HttpContext.Response;
        response.OnStarting(() =>
        {
            if (response.ContentType == "application/json;charset=utf-8")
            {
                response.ContentType = "application/json; charset=utf-8";
            }

            return Task.CompletedTask;
        });
        return await next(context);
    }

    private static readonly System.Text.Encoding LenientUtf8 = new System.Text.UTF8Encoding(encoderShouldEmitUTF8Identifier: false, throwOnInvalidBytes: false);

    [LoggerMessage(Level = LogLevel.Warning, Message = "{Set} is set but {Unset} is not: Hawk takes the {Unset} part of what clients sign from each request (a trusted proxy's X-Forwarded-* headers, else the Host header). Clients that sign the public URL (Genesys Cloud: https, port 443) fail with 401 unless both are set or the proxy is trusted")]
    private static partial void LogHalfPublicAddress(ILogger logger, string set, string unset);
}
