using System.Net;
using LocalKeyManager.Api.Authentication;
using LocalKeyManager.Api.ErrorHandling;
using LocalKeyManager.Api.Http;
using LocalKeyManager.Application;
using LocalKeyManager.Application.Behaviors;
using LocalKeyManager.Infrastructure;
using LocalKeyManager.Application.Telemetry;
using Mediator;
using OpenTelemetry.Metrics;
using OpenTelemetry.Resources;
using OpenTelemetry.Trace;
using Microsoft.AspNetCore.Authentication;
using Microsoft.AspNetCore.Authorization;
using Microsoft.AspNetCore.HttpOverrides;
using Microsoft.AspNetCore.Mvc;
using System.Text.Json.Serialization;
using Microsoft.Extensions.DependencyInjection.Extensions;

namespace LocalKeyManager.Api;

public static class DependencyInjection
{
    /// <summary>Everything the service and the command line share: use cases, storage, crypto.</summary>
    public static IServiceCollection AddKeyManagerCore(this IServiceCollection services, IConfiguration configuration)
    {
        Settings.KnownSettings.Check(configuration);
        services.AddApplication();
        services.AddInfrastructure(configuration);
        services.AddMediator((MediatorOptions options) =>
        {
            options.ServiceLifetime = ServiceLifetime.Scoped;
            options.Assemblies = [typeof(ApplicationAssembly)];
            options.PipelineBehaviors = [typeof(ValidationBehavior<,>)];
        });
        return services;
    }

    /// <summary>
    /// The settings only the HTTP face uses (forwarded headers, rate limits, metrics access and
    /// export, request-log retention), registered by the command line too, so that every command checks every value
    /// as <c>serve</c> does (<see cref="CheckSettings"/>), before it creates anything.
    /// </summary>
    public static IServiceCollection AddServiceSettings(this IServiceCollection services, IConfiguration configuration)
    {
        RateLimits.Check(configuration);
        _ = OtlpEndpoint(configuration);
        _ = new MetricsAccess(configuration);
        services.Configure<ForwardedHeadersOptions>(options => ConfigureForwardedHeaders(options, configuration));
        services.AddOptions<Jobs.RequestLogOptions>().BindConfiguration(Jobs.RequestLogOptions.Section).ValidateDataAnnotations().ValidateOnStart();
        return services;
    }

    /// <summary>Reads every setting that is checked at start-up; the first that does not hold throws.</summary>
    public static void CheckSettings(IServiceProvider services)
    {
        try
        {
            services.GetService<Microsoft.Extensions.Options.IStartupValidator>()?.Validate();
        }
        catch (AggregateException e) when (e.InnerExceptions.All(inner => inner is Microsoft.Extensions.Options.OptionsValidationException))
        {
            // Several sections failed at once: one refusal naming every setting, as for one.
            var failures = e.InnerExceptions.Cast<Microsoft.Extensions.Options.OptionsValidationException>().ToList();
            throw new Microsoft.Extensions.Options.OptionsValidationException(failures[0].OptionsName, failures[0].OptionsType, failures.SelectMany(f => f.Failures));
        }

        _ = services.GetRequiredService<Microsoft.Extensions.Options.IOptions<ForwardedHeadersOptions>>().Value;
    }

    /// <summary>The HTTP face: controllers, Hawk, problem details, forwarded headers.</summary>
    public static IServiceCollection AddApi(this IServiceCollection services, IConfiguration configuration)
    {
        services.AddControllers(options =>
            {
                OnlyUtf8Json(options);
                OnlyApplicationJson(options);
                options.Filters.Add(new SingleValuedQueryFilter());
            })
            .ConfigureApiBehaviorOptions(options =>
            {
                options.InvalidModelStateResponseFactory = InvalidRequestBody;
                // A bare status from MVC (415 for a body that is not UTF-8 JSON) goes to the
                // status-code pages and ProblemWriter like every other, not to MVC's own problem
                // result, whose output formatter adds "; charset=utf-8" to the content type.
                options.SuppressMapClientErrors = true;
            });
        // Numbers are JSON numbers (API.md): "7" for waitingPeriodDays or dateCreated is refused like
        // any other wrong shape, and the OpenAPI document types them as integers only.
        // A property given twice ({"keypairId": a, "keypairId": b}) is refused, not read as the last
        // one: a body that two readers could understand differently has no place in a key manager.
        services.Configure<JsonOptions>(options =>
        {
            options.JsonSerializerOptions.NumberHandling = JsonNumberHandling.Strict;
            options.JsonSerializerOptions.AllowDuplicateProperties = false;
        });
        services.Configure<Microsoft.AspNetCore.Http.Json.JsonOptions>(options =>
        {
            options.SerializerOptions.NumberHandling = JsonNumberHandling.Strict;
            options.SerializerOptions.AllowDuplicateProperties = false;
        });
        services.AddProblemDetails(options => options.CustomizeProblemDetails = ProblemWriter.Customize);
        // MVC's writer answers only inside an action (with "; charset=utf-8"), the default one
        // everywhere else (without): one writer, so every problem has the same content type.
        foreach (var mvcWriter in services.Where(d => d.ServiceType == typeof(IProblemDetailsWriter) && d.ImplementationType?.Name == "DefaultApiProblemDetailsWriter").ToList())
        {
            services.Remove(mvcWriter);
        }
        services.AddExceptionHandler<ProblemExceptionHandler>();
        services.AddSingleton<ProblemWriter>();

        services.AddSingleton<HawkRequestReader>();
        services.AddSingleton<RequestBodyBuffer>();
        AddHawkAuthentication(services);
        services.AddAuthorizationBuilder()
            .AddPolicy(HawkDefaults.GenesysPolicy, p => p.RequireAuthenticatedUser().RequireRole("genesys", "admin"))
            .AddPolicy(HawkDefaults.AdminPolicy, p => p.RequireAuthenticatedUser().RequireRole("admin"))
            .SetFallbackPolicy(new AuthorizationPolicyBuilder().RequireAuthenticatedUser().Build());

        services.AddServiceSettings(configuration);
        services.AddOpenApi(options => options.AddDocumentTransformer<OpenApi.HawkSecuritySchemeTransformer>());
        AddTelemetry(services, configuration);
        services.AddKeyManagerRateLimits(configuration);
        services.AddSingleton<MetricsAccess>();
        services.AddInfrastructureJobs();
        services.AddHostedService<Jobs.KeyDestructionJob>();
        services.AddHostedService<Jobs.RequestLogRetentionJob>();
        services.AddHostedService<StartupHostedService>();
        return services;
    }

    /// <summary>
    /// Hawk as the one authentication scheme, registered without <c>AddAuthentication()</c>: that
    /// also adds ASP.NET Core Data Protection, whose hosted service creates a key ring at start-up
    /// and writes it, unencrypted, under the service user's home directory. Nothing here uses Data
    /// Protection (no cookies, no antiforgery), so the service keeps no such key and loads no XML.
    /// </summary>
    private static void AddHawkAuthentication(IServiceCollection services)
    {
        services.AddAuthenticationCore(options => options.DefaultScheme = HawkDefaults.Scheme);
        services.AddWebEncoders();
        services.TryAddSingleton(TimeProvider.System);
        new AuthenticationBuilder(services)
            .AddScheme<AuthenticationSchemeOptions, HawkAuthenticationHandler>(HawkDefaults.Scheme, null);
    }

    /// <summary>
    /// Metrics (the service's meter, ASP.NET Core's and the runtime's) for Prometheus at
    /// <c>/metrics</c>; traces of requests exported over OTLP when <c>OpenTelemetry:OtlpEndpoint</c> is set.
    /// </summary>
    private static void AddTelemetry(IServiceCollection services, IConfiguration configuration)
    {
        var telemetry = services.AddOpenTelemetry()
            .ConfigureResource(resource => resource.AddService("local-key-manager"))
            .WithMetrics(metrics => metrics
                .AddMeter(KeyManagerMetrics.MeterName, "Microsoft.AspNetCore.Hosting", "Microsoft.AspNetCore.Server.Kestrel", "System.Runtime")
                .AddPrometheusExporter());
        if (OtlpEndpoint(configuration) is { } otlp)
        {
            telemetry.WithTracing(tracing => tracing
                .AddAspNetCoreInstrumentation()
                .AddEntityFrameworkCoreInstrumentation()
                .AddSource("Npgsql")
                .AddOtlpExporter(o => o.Endpoint = otlp));
        }
    }

    /// <summary>
    /// JSON bodies are UTF-8 (RFC 8259): another charset gets a 415 problem instead of reaching the
    /// transcoding stream, which throws on a malformed UTF-16 body (found by the fuzz run).
    /// </summary>
    private static void OnlyUtf8Json(Microsoft.AspNetCore.Mvc.MvcOptions options)
    {
        foreach (var formatter in options.InputFormatters.OfType<Microsoft.AspNetCore.Mvc.Formatters.SystemTextJsonInputFormatter>())
        {
            foreach (var encoding in formatter.SupportedEncodings.Where(e => e.CodePage != System.Text.Encoding.UTF8.CodePage).ToList())
            {
                formatter.SupportedEncodings.Remove(encoding);
            }
        }
    }

    /// <summary>
    /// Answers are <c>application/json; charset=utf-8</c> (API.md) whatever the <c>Accept</c> header
    /// asks: MVC would otherwise answer <c>Accept: text/json</c> in <c>text/json</c>. Nothing is
    /// written as text by MVC either (the probes write their text themselves), so the OpenAPI
    /// document lists the one type the service sends.
    /// </summary>
    private static void OnlyApplicationJson(Microsoft.AspNetCore.Mvc.MvcOptions options)
    {
        options.OutputFormatters.RemoveType<Microsoft.AspNetCore.Mvc.Formatters.StringOutputFormatter>();
        foreach (var formatter in options.OutputFormatters.OfType<Microsoft.AspNetCore.Mvc.Formatters.SystemTextJsonOutputFormatter>())
        {
            formatter.SupportedMediaTypes.Clear();
            formatter.SupportedMediaTypes.Add("application/json");
        }
    }

    /// <summary>
    /// <c>OpenTelemetry:OtlpEndpoint</c>, or null when unset. Checked here, where a bad value stops
    /// start-up naming the setting (the exporter would say only "Invalid URI").
    /// </summary>
    private static Uri? OtlpEndpoint(IConfiguration configuration)
    {
        if (configuration["OpenTelemetry:OtlpEndpoint"] is not { Length: > 0 } endpoint)
        {
            return null;
        }

        return Uri.TryCreate(endpoint, UriKind.Absolute, out var otlp) && (otlp.Scheme == Uri.UriSchemeHttp || otlp.Scheme == Uri.UriSchemeHttps)
            ? otlp
            : throw new InvalidOperationException($"OpenTelemetry:OtlpEndpoint '{endpoint}' is not an http or https URL (for example http://otel-collector:4317).");
    }

    /// <summary>
    /// Forwarded headers are believed only from the proxies configured under
    /// <c>ForwardedHeaders:KnownProxies</c> / <c>KnownNetworks</c>; nothing is trusted by default.
    /// </summary>
    private static void ConfigureForwardedHeaders(ForwardedHeadersOptions options, IConfiguration configuration)
    {
        options.KnownProxies.Clear();
        options.KnownIPNetworks.Clear();
        foreach (var proxy in ConfiguredAddresses.Addresses(configuration, "ForwardedHeaders:KnownProxies"))
        {
            options.KnownProxies.Add(proxy);
        }

        foreach (var network in ConfiguredAddresses.Networks(configuration, "ForwardedHeaders:KnownNetworks"))
        {
            options.KnownIPNetworks.Add(network);
        }

        // With both lists empty the middleware would believe every sender, so then it reads nothing.
        var anyTrusted = options.KnownProxies.Count > 0 || options.KnownIPNetworks.Count > 0;
        options.ForwardedHeaders = anyTrusted
            ? ForwardedHeaders.XForwardedFor | ForwardedHeaders.XForwardedProto | ForwardedHeaders.XForwardedHost
            : ForwardedHeaders.None;
    }

    /// <summary>A body that is not the JSON expected: one clear problem, without echoing the input.</summary>
    private static ProblemResult InvalidRequestBody(ActionContext context) =>
        new(StatusCodes.Status400BadRequest, "Invalid request", "The request body is not valid JSON of the expected shape: an object with each property at most once, of its documented type.");
}
