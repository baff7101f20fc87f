namespace LocalKeyManager.Infrastructure.Hawk;

/// <summary>The attributes of a parsed <c>Authorization: Hawk ...</c> header.</summary>
public sealed record HawkHeader(
    string Id,
    string Ts,
    string Nonce,
    string Mac,
    string? Hash,
    string? Ext,
    string? App,
    string? Dlg);
