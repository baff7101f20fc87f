using System.Buffers.Text;
using System.Text;
using LocalKeyManager.Application.Credentials.RegisterHawkCredential;
using LocalKeyManager.Application.Credentials.RevokeHawkCredential;
using LocalKeyManager.Application.Errors;
using LocalKeyManager.Application.UnitTests.Fakes;
using LocalKeyManager.Domain.Credentials;
using NodaTime;
using NodaTime.Testing;

namespace LocalKeyManager.Application.UnitTests;

public sealed class CredentialTests
{
    private readonly InMemoryCredentials _credentials = new();
    private readonly FakeKeyProtector _protector = new();
    private readonly FakeClock _clock = new(Instant.FromUtc(2026, 11, 29, 12, 0));

    [Fact]
    public async Task Register_returns_a_256_bit_base64url_key_and_stores_it_only_wrapped_under_the_id()
    {
        var registered = await new RegisterHawkCredentialHandler(_credentials, _protector, _clock)
            .Handle(new RegisterHawkCredential("genesys-prod", null), TestContext.Current.CancellationToken);

        registered.AuthKey.Should().HaveLength(43).And.MatchRegex("^[A-Za-z0-9_-]+$");
        Base64Url.DecodeFromChars(registered.AuthKey).Should().HaveCount(32);
        registered.Algorithm.Should().Be(HawkAlgorithm.Sha256);
        registered.Role.Should().Be(CredentialRole.Genesys);

        var stored = _credentials.Stored["genesys-prod"];
        stored.CreatedAt.Should().Be(_clock.GetCurrentInstant());
        var unwrapped = new byte[64];
        var length = _protector.Unwrap(stored.Key, HawkCredential.WrappingContext("genesys-prod"), unwrapped);
        Encoding.UTF8.GetString(unwrapped, 0, length).Should().Be(registered.AuthKey);
    }

    [Fact]
    public async Task Register_with_an_existing_id_is_a_conflict_and_keeps_the_first_key()
    {
        var handler = new RegisterHawkCredentialHandler(_credentials, _protector, _clock);
        await handler.Handle(new RegisterHawkCredential("genesys-prod", "admin"), TestContext.Current.CancellationToken);
        var first = _credentials.Stored["genesys-prod"];

        var act = () => handler.Handle(new RegisterHawkCredential("genesys-prod", null), TestContext.Current.CancellationToken).AsTask();

        await act.Should().ThrowAsync<ConflictException>();
        _credentials.Stored["genesys-prod"].Should().BeSameAs(first);
        first.Role.Should().Be(CredentialRole.Admin);
    }

    [Theory]
    [InlineData(null)]
    [InlineData("short")]
    [InlineData("has space")]
    [InlineData("slash/no")]
    [InlineData("ünïcode-id")]
    public void Register_validator_refuses_bad_ids(string? id)
    {
        new RegisterHawkCredentialValidator().Validate(new RegisterHawkCredential(id, null)).IsValid.Should().BeFalse();
    }

    [Fact]
    public void Register_validator_takes_ids_of_6_to_128_allowed_characters()
    {
        var validator = new RegisterHawkCredentialValidator();
        validator.Validate(new RegisterHawkCredential("a.b_c-", null)).IsValid.Should().BeTrue();
        validator.Validate(new RegisterHawkCredential(new string('x', 128), "genesys")).IsValid.Should().BeTrue();
        validator.Validate(new RegisterHawkCredential(new string('x', 129), null)).IsValid.Should().BeFalse();
        validator.Validate(new RegisterHawkCredential("genesys-prod", "root")).IsValid.Should().BeFalse();
    }

    [Fact]
    public async Task Revoke_sets_the_time_once_and_an_unknown_id_is_not_found()
    {
        var handler = new RegisterHawkCredentialHandler(_credentials, _protector, _clock);
        await handler.Handle(new RegisterHawkCredential("genesys-prod", null), TestContext.Current.CancellationToken);
        var revoke = new RevokeHawkCredentialHandler(_credentials, _clock);

        var first = await revoke.Handle(new RevokeHawkCredential("genesys-prod"), TestContext.Current.CancellationToken);
        var revokedAt = _credentials.Stored["genesys-prod"].RevokedAt;
        _clock.Advance(Duration.FromMinutes(5));
        var second = await revoke.Handle(new RevokeHawkCredential("genesys-prod"), TestContext.Current.CancellationToken);

        first.Revoked.Should().BeTrue();
        second.Revoked.Should().BeTrue();
        _credentials.Stored["genesys-prod"].RevokedAt.Should().Be(revokedAt);
        _credentials.Saves.Should().Be(1);
        await FluentActions.Awaiting(() => revoke.Handle(new RevokeHawkCredential("nobody-here"), TestContext.Current.CancellationToken).AsTask())
            .Should().ThrowAsync<NotFoundException>();
    }
}
