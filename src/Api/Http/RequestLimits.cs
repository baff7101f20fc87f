namespace LocalKeyManager.Api.Http;

public static class RequestLimits
{
    /// <summary>The largest request body any endpoint takes (the largest real one, an import, is a few KiB).</summary>
    public const int MaxBodyBytes = 64 * 1024;

    /// <summary>The longest request target (path and query) the service answers; longer is a 414 problem.</summary>
    public const int MaxTargetBytes = 8 * 1024;

    /// <summary>The most header bytes (names and values) the service answers; more is a 431 problem.</summary>
    public const int MaxHeaderBytes = 32 * 1024;

    /// <summary>
    /// Kestrel's own limits sit above the service's, so that a request somewhat over them reaches
    /// <see cref="RequestShapeMiddleware"/> and gets a problem. Kestrel refuses what is over its
    /// limits (and what is not valid HTTP) itself, before any application code runs; <see cref="ServerRejectionProblems"/>
    /// gives that answer a problem body.
    /// </summary>
    public const int ServerLimitFactor = 8;
}
