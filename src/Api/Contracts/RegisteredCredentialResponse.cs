namespace LocalKeyManager.Api.Contracts;

/// <summary>The one answer that shows a credential's key.</summary>
public sealed record RegisteredCredentialResponse(string Id, string AuthKey, string Algorithm)
{
    private bool PrintMembers(System.Text.StringBuilder builder)
    {
        builder.Append(System.Globalization.CultureInfo.InvariantCulture, $"Id = {Id}, AuthKey = {Application.Common.Redacted.Text(AuthKey)}, Algorithm = {Algorithm}");
        return true;
    }
}
