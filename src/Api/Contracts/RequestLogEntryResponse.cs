namespace LocalKeyManager.Api.Contracts;

/// <summary>
/// A request-log entry. <c>timestamp</c> is ISO-8601 UTC; <c>timestampString</c> is the
/// original's zone-less form, in UTC. <c>status</c> is the answer's HTTP status.
/// </summary>
public sealed record RequestLogEntryResponse(
    string Id,
    string UserId,
    string RequestUri,
    string RequestMethod,
    string Timestamp,
    string TimestampString,
    string CredentialId,
    int Status,
    string? KeypairId,
    string? ClientAddress,
    double DurationMs,
    string? Detail);
