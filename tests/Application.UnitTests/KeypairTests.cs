using LocalKeyManager.Application.Errors;
using LocalKeyManager.Application.Keys.GenerateKeypair;
using LocalKeyManager.Application.Keys.GetKeypair;
using LocalKeyManager.Application.UnitTests.Fakes;
using LocalKeyManager.Domain.Keys;
using NodaTime;
using NodaTime.Testing;

namespace LocalKeyManager.Application.UnitTests;

public sealed class KeypairTests
{
    [Fact]
    public async Task GenerateKeypair_stores_the_engine_output_under_the_id_it_was_generated_for()
    {
        var keypairs = new InMemoryKeypairs();
        var rsa = new ScriptedRsaEngine();
        var clock = new FakeClock(Instant.FromUtc(2026, 11, 29, 12, 0));

        var dto = await new GenerateKeypairHandler(rsa, keypairs, clock).Handle(new GenerateKeypair(), TestContext.Current.CancellationToken);

        rsa.Generated.Should().Equal(dto.Id);
        var stored = keypairs.Stored[dto.Id];
        stored.PublicKey.Should().Equal(1, 2, 3);
        stored.PrivateKey!.Blob.Should().Equal(9, 9);
        stored.CreatedAt.Should().Be(clock.GetCurrentInstant());
        stored.State.Should().Be(KeyState.Enabled);
        dto.PublicKey.Should().Equal(1, 2, 3);
    }

    [Theory]
    [InlineData("not-a-uuid")]
    [InlineData("3f2b6a3e-5a0b-4c1e-9f59-7f1f2f0a9e11")]
    [InlineData("{3f2b6a3e-5a0b-4c1e-9f59-7f1f2f0a9e11}")]
    public async Task GetKeypair_with_an_unknown_or_malformed_id_is_not_found(string id)
    {
        var act = () => new GetKeypairHandler(new InMemoryKeypairs()).Handle(new GetKeypair(id), TestContext.Current.CancellationToken).AsTask();

        await act.Should().ThrowAsync<NotFoundException>();
    }

    [Fact]
    public void KeypairId_prints_lowercase_and_parses_only_the_canonical_form()
    {
        var id = new KeypairId(Guid.Parse("3F2B6A3E-5A0B-4C1E-9F59-7F1F2F0A9E11"));

        id.ToString().Should().Be("3f2b6a3e-5a0b-4c1e-9f59-7f1f2f0a9e11");
        KeypairId.TryParse("3F2B6A3E-5A0B-4C1E-9F59-7F1F2F0A9E11", out var parsed).Should().BeTrue();
        parsed.Should().Be(id);
        KeypairId.TryParse("3f2b6a3e5a0b4c1e9f597f1f2f0a9e11", out _).Should().BeFalse();
    }
}
