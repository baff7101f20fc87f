using LocalKeyManager.Infrastructure.Hawk;

namespace LocalKeyManager.Api.Authentication;

internal static partial class HawkLog
{
    /// <summary>Counts failures by cause; never the header, the id or anything secret.</summary>
    [LoggerMessage(EventId = 401, Level = LogLevel.Information, Message = "Hawk authentication failed: {Reason}")]
    public static partial void Failed(ILogger logger, HawkFailureReason reason);
}
