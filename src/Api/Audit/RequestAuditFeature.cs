namespace LocalKeyManager.Api.Audit;

/// <summary>What a request adds to its audit record beyond its origin.</summary>
public sealed class RequestAuditFeature
{
    /// <summary>The keypair the request used or created.</summary>
    public string? KeypairId { get; set; }

    /// <summary>
    /// The keypair the route names (<see cref="AuditedKeypairRouteValueAttribute"/>), for a request
    /// refused before its action said: a 403 for the role, a 400 for the body.
    /// </summary>
    public string? RouteKeypairId { get; init; }

    /// <summary>What the request did that its path and status do not say (the credential a registration created); never a secret.</summary>
    public string? Detail { get; set; }

    /// <summary>The handler has written the record itself, atomically with its work (the log purge).</summary>
    public bool RecordedByHandler { get; set; }
}
