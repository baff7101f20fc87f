using NodaTime;

namespace LocalKeyManager.Domain.Keys;

/// <summary>
/// What anyone allowed to list keypairs may see of one: no private key, wrapped or not. Listings
/// read only these columns, so the private key blobs of every stored key never leave the database
/// for a listing (and 10,000 of them are not read to be thrown away).
/// </summary>
public sealed record PublicKeypair(KeypairId Id, byte[] PublicKey, Instant CreatedAt, KeyState State, Instant? DestroyAt);
