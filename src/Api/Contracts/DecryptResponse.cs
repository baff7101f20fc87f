namespace LocalKeyManager.Api.Contracts;

/// <summary>The base64 plaintext.</summary>
public sealed record DecryptResponse(string Body)
{
    private bool PrintMembers(System.Text.StringBuilder builder)
    {
        builder.Append(System.Globalization.CultureInfo.InvariantCulture, $"Body = {Application.Common.Redacted.Text(Body)}");
        return true;
    }
}
