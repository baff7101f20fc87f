using LocalKeyManager.Infrastructure.Hawk;

namespace LocalKeyManager.Api.Authentication;

internal static partial class HawkLog
{
    /// <summary>Counts failures by cause; never the header, the id or anything secret.</summary>
    [LoggerMessage(EventId = 401, Level = LogLevel.Information, Message = "Hawk authentication failed: {Reason}")]
    public static partial void Failed(ILogger logger, HawkFailureReason reason);

    /// <summary>The metric tag for a reason: bad_mac, stale, replay, unknown_id, ...</summary>
    public static string MetricName(HawkFailureReason reason) => reason switch
    {
        HawkFailureReason.Missing => "missing",
        HawkFailureReason.Malformed => "malformed",
        HawkFailureReason.UnknownId => "unknown_id",
        HawkFailureReason.Revoked => "revoked",
        HawkFailureReason.BadMac => "bad_mac",
        HawkFailureReason.BadPayloadHash => "bad_payload_hash",
        HawkFailureReason.MissingPayloadHash => "missing_payload_hash",
        HawkFailureReason.Stale => "stale",
        HawkFailureReason.Replay => "replay",
        HawkFailureReason.LockedOut => "locked_out",
        _ => "other",
    };
}
