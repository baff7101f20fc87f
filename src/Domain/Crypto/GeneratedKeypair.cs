namespace LocalKeyManager.Domain.Crypto;

/// <param name="PublicKey">DER PKCS#1 <c>RSAPublicKey</c>.</param>
/// <param name="PrivateKey">DER PKCS#1 <c>RSAPrivateKey</c>, wrapped.</param>
public sealed record GeneratedKeypair(byte[] PublicKey, WrappedKey PrivateKey);
