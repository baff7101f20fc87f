namespace LocalKeyManager.Api.Audit;

/// <summary>What a controller adds to its request's audit record.</summary>
public sealed class RequestAuditFeature
{
    /// <summary>The keypair the request used or created.</summary>
    public string? KeypairId { get; set; }

    /// <summary>The handler has written the record itself, atomically with its work (the log purge).</summary>
    public bool RecordedByHandler { get; set; }
}
