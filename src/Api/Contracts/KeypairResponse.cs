using System.Text.Json.Serialization;

namespace LocalKeyManager.Api.Contracts;

/// <summary>
/// A keypair on the wire: <c>publicKey</c> is base64 DER PKCS#1; <c>dateCreated</c> is Unix
/// milliseconds (the original's fields), plus <c>state</c> and, while a destruction is
/// scheduled, <c>destroyAt</c> (Unix milliseconds).
/// </summary>
public sealed record KeypairResponse(
    string Id,
    string PublicKey,
    long DateCreated,
    string State,
    [property: JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)] long? DestroyAt);
