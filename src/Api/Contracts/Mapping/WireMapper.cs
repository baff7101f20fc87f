using LocalKeyManager.Application.Audit.GetRequestLog;
using LocalKeyManager.Application.Credentials;
using LocalKeyManager.Application.Credentials.RegisterHawkCredential;
using LocalKeyManager.Application.Keys;
using LocalKeyManager.Domain.Audit;
using LocalKeyManager.Domain.Credentials;
using LocalKeyManager.Domain.Keys;
using LocalKeyManager.Infrastructure.Hawk;
using NodaTime;
using Riok.Mapperly.Abstractions;

namespace LocalKeyManager.Api.Contracts.Mapping;

/// <summary>Application results to the wire shapes of API.md.</summary>
[Mapper]
public static partial class WireMapper
{
    [MapProperty(nameof(KeypairDto.CreatedAt), nameof(KeypairResponse.DateCreated))]
    public static partial KeypairResponse ToResponse(this KeypairDto keypair);

    [MapperIgnoreSource(nameof(RegisteredCredential.Role))]
    public static partial RegisteredCredentialResponse ToResponse(this RegisteredCredential credential);

    [MapProperty(nameof(CredentialDto.CreatedAt), nameof(CredentialResponse.DateCreated))]
    public static partial CredentialResponse ToResponse(this CredentialDto credential);

    public static RequestLogEntryResponse ToResponse(this RequestLogEntry entry) => new(
        entry.Id.ToString("D"),
        entry.UserId,
        entry.RequestUri,
        entry.RequestMethod,
        IsoInstant.ToIsoString(entry.Timestamp),
        IsoInstant.ToZoneLessString(entry.Timestamp),
        entry.CredentialId,
        entry.Status,
        entry.KeypairId,
        entry.ClientAddress,
        Math.Round(entry.DurationMs, 3),
        entry.Detail);

    private static string KeypairIdToString(KeypairId id) => id.ToString();

    private static string BytesToBase64(byte[] bytes) => Convert.ToBase64String(bytes);

    private static long InstantToUnixMilliseconds(Instant instant) => instant.ToUnixTimeMilliseconds();

    private static long? NullableInstantToUnixMilliseconds(Instant? instant) => instant?.ToUnixTimeMilliseconds();

    private static string StateToWire(KeyState state) => KeyStates.ToWire(state);

    private static string AlgorithmToWire(HawkAlgorithm algorithm) => HawkAlgorithms.Names.ToWire(algorithm);

    private static string RoleToWire(CredentialRole role) => CredentialRoles.Names.ToWire(role);
}
