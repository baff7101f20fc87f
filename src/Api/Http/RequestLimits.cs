namespace LocalKeyManager.Api.Http;

public static class RequestLimits
{
    /// <summary>The largest request body any endpoint takes (the largest real one, an import, is a few KiB).</summary>
    public const int MaxBodyBytes = 64 * 1024;
}
