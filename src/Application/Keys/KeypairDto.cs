using LocalKeyManager.Domain.Keys;
using NodaTime;

namespace LocalKeyManager.Application.Keys;

/// <summary>What callers may know of a keypair: never its private half.</summary>
public sealed record KeypairDto(KeypairId Id, byte[] PublicKey, Instant CreatedAt, KeyState State, Instant? DestroyAt);
