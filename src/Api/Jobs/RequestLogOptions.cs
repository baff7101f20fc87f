using System.ComponentModel.DataAnnotations;

namespace LocalKeyManager.Api.Jobs;

/// <summary>Configuration section <c>RequestLog</c>, checked at start-up.</summary>
public sealed class RequestLogOptions
{
    public const string Section = "RequestLog";

    /// <summary>Entries older than this many days are purged hourly; 0 (the default) keeps everything.</summary>
    [Range(0, 36_500, ErrorMessage = "RequestLog:RetentionDays must be 0 (keep everything) to 36500 days.")]
    public int RetentionDays { get; set; }
}
