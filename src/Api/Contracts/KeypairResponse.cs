namespace LocalKeyManager.Api.Contracts;

/// <summary>A keypair on the wire: <c>publicKey</c> is base64 DER PKCS#1; <c>dateCreated</c> is Unix milliseconds.</summary>
public sealed record KeypairResponse(string Id, string PublicKey, long DateCreated);
