using System.Text;
using LocalKeyManager.Domain.Credentials;
using LocalKeyManager.Domain.Crypto;
using LocalKeyManager.Infrastructure.Hawk;
using Microsoft.Extensions.DependencyInjection;
using NodaTime;

namespace LocalKeyManager.Infrastructure.IntegrationTests;

/// <summary>Hawk end to end below HTTP, on a real database; run on SQLite and on PostgreSQL.</summary>
public abstract class HawkAuthenticatorTests : IAsyncLifetime
{
    private const string Host = "lkm.example.com";
    private const string Port = "443";
    private TestServices _services = null!;
    private string _key = null!;

    protected abstract string DatabaseProvider { get; }

    public async ValueTask InitializeAsync()
    {
        await TestServices.SkipUnlessAvailableAsync(DatabaseProvider);
        _services = await TestServices.StartOnAsync(DatabaseProvider, new() { ["Hawk:RequirePayloadHash"] = "false" });
        _key = await RegisterAsync("genesys-prod", HawkAlgorithm.Sha256);
    }

    public async ValueTask DisposeAsync()
    {
        if (_services is not null)
        {
            await _services.DisposeAsync();
        }
    }

    [Fact]
    public async Task A_correctly_signed_request_authenticates_with_its_role()
    {
        var (success, failure) = await AuthenticateAsync(Sign("genesys-prod", _key, "GET", "/key-management/v1/keypair"));

        failure.Should().BeNull();
        success!.CredentialId.Should().Be("genesys-prod");
        success.Role.Should().Be(CredentialRole.Genesys);
    }

    [Fact]
    public async Task The_same_header_twice_is_a_replay()
    {
        var request = Sign("genesys-prod", _key, "GET", "/key-management/v1/keypair");

        (await AuthenticateAsync(request)).Failure.Should().BeNull();
        var (_, failure) = await AuthenticateAsync(request);

        failure!.Reason.Should().Be(HawkFailureReason.Replay);
        failure.Kind.Should().Be(HawkFailureKind.Unauthorized);
    }

    [Fact]
    public async Task A_timestamp_outside_the_window_gets_the_server_time_and_its_mac()
    {
        var now = _services.Clock.GetCurrentInstant().ToUnixTimeSeconds();
        var (_, failure) = await AuthenticateAsync(Sign("genesys-prod", _key, "GET", "/key-management/v1/keypair", ts: now - 61));

        failure!.Reason.Should().Be(HawkFailureReason.Stale);
        var tsm = HawkCrypto.TimestampMac(HawkAlgorithm.Sha256, Encoding.UTF8.GetBytes(_key), now);
        failure.WwwAuthenticate.Should().Be($"Hawk ts=\"{now}\", tsm=\"{tsm}\", error=\"Stale timestamp\"");
        (await AuthenticateAsync(Sign("genesys-prod", _key, "GET", "/key-management/v1/keypair", ts: now + 60))).Failure.Should().BeNull();
    }

    [Fact]
    public async Task The_window_is_measured_in_milliseconds_as_the_reference_does()
    {
        var second = _services.Clock.GetCurrentInstant().ToUnixTimeSeconds() + 1;
        _services.Clock.Reset(Instant.FromUnixTimeSeconds(second));
        (await AuthenticateAsync(Sign("genesys-prod", _key, "GET", "/x", ts: second - 60))).Failure.Should().BeNull("exactly the skew behind is inside");

        _services.Clock.Reset(Instant.FromUnixTimeMilliseconds((second * 1000) + 1));
        (await AuthenticateAsync(Sign("genesys-prod", _key, "GET", "/x", ts: second - 60))).Failure!.Reason.Should().Be(HawkFailureReason.Stale, "a millisecond later it is outside");
        (await AuthenticateAsync(Sign("genesys-prod", _key, "GET", "/x", ts: second + 60))).Failure.Should().BeNull("60 s ahead, less a millisecond, is inside");
        (await AuthenticateAsync(Sign("genesys-prod", _key, "GET", "/x", ts: long.MaxValue))).Failure!.Reason.Should().Be(HawkFailureReason.Stale);
    }

    [Fact]
    public async Task A_timestamp_is_read_as_the_reference_reads_it_when_it_is_whole_seconds()
    {
        var now = _services.Clock.GetCurrentInstant().ToUnixTimeSeconds();
        foreach (var ts in new[] { $" {now}", $"{now} ", $"+{now}", $"0{now}", $"{now}.000", $"{now / 10}.{now % 10}e1", $"0x{now:x}", $"0X{now:X}" })
        {
            (await AuthenticateAsync(Sign("genesys-prod", _key, "GET", "/x", tsText: ts))).Failure.Should().BeNull($"'{ts}' is {now} to JavaScript's Number()");
        }

        foreach (var ts in new[] { $"{now}.5", "Infinity", "0x", $"0b{now}", $"{now}s", $"- {now}" })
        {
            (await AuthenticateAsync(Sign("genesys-prod", _key, "GET", "/x", tsText: ts))).Failure!.Reason.Should().Be(HawkFailureReason.Stale, $"'{ts}' is not whole seconds");
        }
    }

    [Theory]
    [InlineData("12.5")]
    [InlineData("-1")]
    [InlineData("soon")]
    [InlineData(" ")]
    public async Task A_timestamp_that_is_not_whole_seconds_is_stale(string ts)
    {
        var (_, failure) = await AuthenticateAsync(Sign("genesys-prod", _key, "GET", "/x", tsText: ts));

        failure!.Reason.Should().Be(HawkFailureReason.Stale);
    }

    [Fact]
    public async Task Unknown_id_revoked_credential_and_bad_mac_read_the_same()
    {
        var adminKey = await RegisterAsync("admin-revoked", HawkAlgorithm.Sha256);
        await using (var scope = _services.Scope())
        {
            var repository = scope.ServiceProvider.GetRequiredService<ICredentialRepository>();
            var credential = await repository.FindAsync("admin-revoked", TestContext.Current.CancellationToken);
            credential!.Revoke(_services.Clock.GetCurrentInstant());
            await repository.SaveRevocationAsync(credential, TestContext.Current.CancellationToken);
        }

        var unknown = (await AuthenticateAsync(Sign("nobody-here", _key, "GET", "/x"))).Failure!;
        var revoked = (await AuthenticateAsync(Sign("admin-revoked", adminKey, "GET", "/x"))).Failure!;
        var badMac = (await AuthenticateAsync(Sign("genesys-prod", "wrong-key", "GET", "/x"))).Failure!;

        new[] { unknown.Reason, revoked.Reason, badMac.Reason }.Should().Equal(HawkFailureReason.UnknownId, HawkFailureReason.Revoked, HawkFailureReason.BadMac);
        new[] { unknown, revoked, badMac }.Select(f => (f.Kind, f.Message, f.WwwAuthenticate)).Distinct().Should().ContainSingle()
            .Which.Should().Be((HawkFailureKind.Unauthorized, "Bad mac", "Hawk error=\"Bad mac\""));
    }

    [Fact]
    public async Task The_signed_host_port_method_and_resource_must_match()
    {
        var signed = Sign("genesys-prod", _key, "GET", "/key-management/v1/keypair");

        (await AuthenticateAsync(signed with { Port = "8443" })).Failure!.Reason.Should().Be(HawkFailureReason.BadMac);
        (await AuthenticateAsync(signed with { Host = "other.example.com" })).Failure!.Reason.Should().Be(HawkFailureReason.BadMac);
        (await AuthenticateAsync(signed with { Method = "POST" })).Failure!.Reason.Should().Be(HawkFailureReason.BadMac);
        (await AuthenticateAsync(signed with { Resource = "/key-management/v1/keypair?x=1" })).Failure!.Reason.Should().Be(HawkFailureReason.BadMac);
        (await AuthenticateAsync(signed with { Host = "LKM.EXAMPLE.COM" })).Failure.Should().BeNull("the host is compared lowercase");
    }

    [Fact]
    public async Task A_payload_hash_is_checked_against_the_body_and_content_type()
    {
        var body = "{\"keypairId\":\"x\",\"body\":\"AAAA\"}"u8.ToArray();
        var hash = HawkCrypto.PayloadHash(HawkAlgorithm.Sha256, body, "application/json");

        var good = Sign("genesys-prod", _key, "POST", "/key-management/v1/decrypt", hash: hash) with { ContentType = "application/json; charset=utf-8", HasBody = true };
        (await AuthenticateAsync(good, body)).Failure.Should().BeNull();

        var tampered = Sign("genesys-prod", _key, "POST", "/key-management/v1/decrypt", hash: hash) with { ContentType = "application/json", HasBody = true };
        (await AuthenticateAsync(tampered, "{\"keypairId\":\"y\"}"u8.ToArray())).Failure!.Reason.Should().Be(HawkFailureReason.BadPayloadHash);
    }

    [Fact]
    public async Task Without_a_hash_the_body_is_not_read_unless_hashes_are_required()
    {
        var request = Sign("genesys-prod", _key, "POST", "/key-management/v1/decrypt") with { HasBody = true };
        var (success, _) = await AuthenticateAsync(request, readBody: _ => throw new InvalidOperationException("read"));
        success.Should().NotBeNull();

        await using var strict = await TestServices.StartOnAsync(DatabaseProvider, new() { ["Hawk:RequirePayloadHash"] = "true" });
        var key = await RegisterAsync(strict, "genesys-strict", HawkAlgorithm.Sha256);
        var (_, failure) = await AuthenticateAsync(strict, Sign("genesys-strict", key, "POST", "/d", clock: strict) with { HasBody = true }, null);
        failure!.Reason.Should().Be(HawkFailureReason.MissingPayloadHash);
    }

    [Fact]
    public async Task A_sha1_credential_authenticates_with_sha1_macs()
    {
        var key = await RegisterAsync("legacy-sha1", HawkAlgorithm.Sha1);

        (await AuthenticateAsync(Sign("legacy-sha1", key, "GET", "/x", algorithm: HawkAlgorithm.Sha1))).Failure.Should().BeNull();
        (await AuthenticateAsync(Sign("legacy-sha1", key, "GET", "/x"))).Failure!.Reason.Should().Be(HawkFailureReason.BadMac);
    }

    private Task<string> RegisterAsync(string id, HawkAlgorithm algorithm) => RegisterAsync(_services, id, algorithm);

    private static async Task<string> RegisterAsync(TestServices services, string id, HawkAlgorithm algorithm)
    {
        await using var scope = services.Scope();
        var key = Convert.ToBase64String(Guid.NewGuid().ToByteArray());
        var protector = scope.ServiceProvider.GetRequiredService<IKeyProtector>();
        var credential = HawkCredential.Create(id, CredentialRole.Genesys, algorithm, protector.Wrap(Encoding.UTF8.GetBytes(key), HawkCredential.WrappingContext(id)), services.Clock.GetCurrentInstant());
        (await scope.ServiceProvider.GetRequiredService<ICredentialRepository>().TryAddAsync(credential, CancellationToken.None)).Should().BeTrue();
        return key;
    }

    private HawkRequest Sign(string id, string key, string method, string resource, long? ts = null, string? tsText = null, string? hash = null, HawkAlgorithm algorithm = HawkAlgorithm.Sha256, TestServices? clock = null)
    {
        var timestamp = tsText ?? (ts ?? (clock ?? _services).Clock.GetCurrentInstant().ToUnixTimeSeconds()).ToString(System.Globalization.CultureInfo.InvariantCulture);
        var nonce = Guid.NewGuid().ToString("N")[..8];
        var artifacts = new HawkCrypto.Artifacts(timestamp, nonce, method, resource, Host, Port, null, null);
        var mac = HawkCrypto.Mac(algorithm, Encoding.UTF8.GetBytes(key), HawkCrypto.HeaderType, artifacts, hash, null);
        var header = $"Hawk id=\"{id}\", ts=\"{timestamp}\", nonce=\"{nonce}\", mac=\"{mac}\"" + (hash is null ? string.Empty : $", hash=\"{hash}\"");
        return new HawkRequest(method, resource, Host, Port, header, null, false);
    }

    private Task<(HawkAuthentication? Success, HawkFailure? Failure)> AuthenticateAsync(HawkRequest request, byte[]? body = null, Func<CancellationToken, Task<ReadOnlyMemory<byte>>>? readBody = null) =>
        AuthenticateAsync(_services, request, body, readBody);

    private static async Task<(HawkAuthentication? Success, HawkFailure? Failure)> AuthenticateAsync(
        TestServices services, HawkRequest request, byte[]? body, Func<CancellationToken, Task<ReadOnlyMemory<byte>>>? readBody = null)
    {
        await using var scope = services.Scope();
        var authenticator = scope.ServiceProvider.GetRequiredService<HawkAuthenticator>();
        return await authenticator.AuthenticateAsync(request, readBody ?? (_ => Task.FromResult<ReadOnlyMemory<byte>>(body ?? [])), CancellationToken.None);
    }
}

public sealed class SqliteHawkAuthenticatorTests : HawkAuthenticatorTests
{
    protected override string DatabaseProvider => "sqlite";
}

public sealed class PostgresHawkAuthenticatorTests : HawkAuthenticatorTests
{
    protected override string DatabaseProvider => "postgres";
}

public sealed class SqlServerHawkAuthenticatorTests : HawkAuthenticatorTests
{
    protected override string DatabaseProvider => "sqlserver";
}
