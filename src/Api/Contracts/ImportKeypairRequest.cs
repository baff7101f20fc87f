namespace LocalKeyManager.Api.Contracts;

/// <summary>
/// <c>POST /keypair/import</c>: the private key (base64 DER PKCS#1 as the original stored it, or
/// PEM PKCS#1/PKCS#8), and optionally the id and <c>dateCreated</c> (Unix ms) to keep.
/// </summary>
public sealed record ImportKeypairRequest(string? PrivateKey, string? Id = null, long? DateCreated = null)
{
    /// <summary>Printed without the private key: MVC logs action arguments at Trace.</summary>
    private bool PrintMembers(System.Text.StringBuilder builder)
    {
        builder.Append(System.Globalization.CultureInfo.InvariantCulture, $"PrivateKey = {Application.Common.Redacted.Text(PrivateKey)}, Id = {Id}, DateCreated = {DateCreated}");
        return true;
    }
}
