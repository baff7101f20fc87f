namespace LocalKeyManager.Api.Contracts;

/// <summary>The answer to <c>OPTIONS /decrypt</c>: the shapes of a decrypt request and its answer, as the original gave them.</summary>
public sealed record DecryptOptionsResponse(DecryptRequest EncryptBody, DecryptResponse DecryptResponse)
{
    public static readonly DecryptOptionsResponse Example = new(new DecryptRequest(null, null, null), new DecryptResponse("Decrypted Response"));
}
