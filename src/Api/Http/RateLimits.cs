using System.Globalization;
using System.Security.Claims;
using System.Threading.RateLimiting;
using LocalKeyManager.Api.ErrorHandling;
using Microsoft.AspNetCore.RateLimiting;

namespace LocalKeyManager.Api.Http;

/// <summary>
/// Per-credential and per-address request rates (<c>RateLimiting:PerCredentialPerSecond</c>,
/// <c>RateLimiting:PerAddressPerSecond</c>; token buckets with a one-second burst; 0, the default,
/// is no limit, since Genesys Cloud's bulk exports are legitimate bursts). Over the limit: 429
/// problem with <c>Retry-After</c>. Per instance.
/// </summary>
public static class RateLimits
{
    public static IServiceCollection AddKeyManagerRateLimits(this IServiceCollection services, IConfiguration configuration)
    {
        var perCredential = Rate(configuration, "RateLimiting:PerCredentialPerSecond");
        var perAddress = Rate(configuration, "RateLimiting:PerAddressPerSecond");
        return services.AddRateLimiter(options =>
        {
            options.GlobalLimiter = PartitionedRateLimiter.CreateChained(
                PartitionedRateLimiter.Create<HttpContext, string>(context =>
                    Bucket("credential:" + (context.User.FindFirst(ClaimTypes.NameIdentifier)?.Value ?? string.Empty), context.User.Identity?.IsAuthenticated == true ? perCredential : 0)),
                PartitionedRateLimiter.Create<HttpContext, string>(context =>
                    Bucket("address:" + context.Connection.RemoteIpAddress, perAddress)));
            options.OnRejected = async (rejection, cancellationToken) =>
            {
                var retryAfter = rejection.Lease.TryGetMetadata(MetadataName.RetryAfter, out var wait) ? Math.Max(1, (int)Math.Ceiling(wait.TotalSeconds)) : 1;
                rejection.HttpContext.Response.Headers.RetryAfter = retryAfter.ToString(CultureInfo.InvariantCulture);
                await rejection.HttpContext.RequestServices.GetRequiredService<ProblemWriter>()
                    .WriteAsync(rejection.HttpContext, StatusCodes.Status429TooManyRequests, "Too many requests", $"The request rate limit was exceeded; retry after {retryAfter} s.");
            };
        });
    }

    /// <summary>Throws when a rate setting does not hold, as the service's start-up would.</summary>
    public static void Check(IConfiguration configuration)
    {
        _ = Rate(configuration, "RateLimiting:PerCredentialPerSecond");
        _ = Rate(configuration, "RateLimiting:PerAddressPerSecond");
    }

    private static int Rate(IConfiguration configuration, string key) =>
        configuration.GetValue(key, 0) is var rate and >= 0
            ? rate
            : throw new InvalidOperationException($"{key} must be 0 (off) or more requests per second.");

    private static RateLimitPartition<string> Bucket(string key, int perSecond) =>
        perSecond <= 0
            ? RateLimitPartition.GetNoLimiter(key)
            : RateLimitPartition.GetTokenBucketLimiter(key, _ => new TokenBucketRateLimiterOptions
            {
                TokenLimit = perSecond,
                TokensPerPeriod = perSecond,
                ReplenishmentPeriod = TimeSpan.FromSeconds(1),
                QueueLimit = 0,
                AutoReplenishment = true,
            });
}
