namespace LocalKeyManager.Domain.Crypto;

/// <summary>The RSA encryption paddings Genesys Cloud uses.</summary>
public enum RsaPadding
{
    /// <summary>RSA-OAEP with SHA-1 and MGF1-SHA-1: the default for recording keys.</summary>
    OaepSha1 = 0,

    /// <summary>RSA PKCS#1 v1.5: keys wrapped inside CMS envelopes (<c>decryptType=pkcs1</c>).</summary>
    Pkcs1 = 1,
}
