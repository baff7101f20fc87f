namespace LocalKeyManager.Infrastructure.Hawk;

/// <summary>What Hawk needs of an HTTP request. <paramref name="Resource"/> is the raw request target.</summary>
public sealed record HawkRequest(
    string Method,
    string Resource,
    string Host,
    string Port,
    string? Authorization,
    string? ContentType,
    bool HasBody);
