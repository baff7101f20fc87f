namespace LocalKeyManager.Infrastructure.Hawk;

public enum HawkFailureKind
{
    /// <summary>No Hawk header at all: 401 with a bare <c>WWW-Authenticate: Hawk</c>.</summary>
    Missing,

    /// <summary>A Hawk header that breaks the syntax rules: 400.</summary>
    Malformed,

    /// <summary>A well-formed header that does not authenticate: 401.</summary>
    Unauthorized,
}

/// <summary>Why authentication failed: what the caller is told, and (for metrics and logs only) why.</summary>
/// <param name="Message">The reference's error text, shown to the caller.</param>
/// <param name="Reason">The real cause; may be finer than the message (unknown id and bad mac read the same).</param>
/// <param name="WwwAuthenticate">The challenge header's value.</param>
public sealed record HawkFailure(HawkFailureKind Kind, string Message, HawkFailureReason Reason, string WwwAuthenticate)
{
    public static readonly HawkFailure Missing = new(HawkFailureKind.Missing, "Hawk authentication is required.", HawkFailureReason.Missing, "Hawk");

    public static HawkFailure Malformed(string message) => new(HawkFailureKind.Malformed, message, HawkFailureReason.Malformed, "Hawk");

    public static HawkFailure Unauthorized(string message, HawkFailureReason reason) =>
        new(HawkFailureKind.Unauthorized, message, reason, $"Hawk error=\"{message}\"");
}
