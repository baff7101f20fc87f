using LocalKeyManager.Application.Errors;
using LocalKeyManager.Application.Keys.Decrypt;
using LocalKeyManager.Application.UnitTests.Fakes;
using LocalKeyManager.Domain.Crypto;
using LocalKeyManager.Domain.Keys;
using NodaTime;

namespace LocalKeyManager.Application.UnitTests;

public sealed class DecryptTests
{
    private readonly InMemoryKeypairs _keypairs = new();
    private readonly ScriptedRsaEngine _rsa = new();
    private readonly Keypair _keypair = Keypair.Create(KeypairId.New(), [1], new WrappedKey("fake:v1", [2]), Instant.FromUnixTimeSeconds(1));

    public DecryptTests() => _keypairs.Stored.Add(_keypair.Id, _keypair);

    private DecryptHandler Handler => new(_keypairs, _rsa);

    [Theory]
    [InlineData(null, RsaPadding.OaepSha1)]
    [InlineData("", RsaPadding.OaepSha1)]
    [InlineData("pkcs1", RsaPadding.Pkcs1)]
    public async Task Decrypt_passes_the_ciphertext_bytes_and_padding_and_returns_the_plaintext(string? decryptType, RsaPadding padding)
    {
        _rsa.Plaintext = [7, 7, 7];

        var result = await Handler.Handle(new Decrypt(_keypair.Id.ToString(), Convert.ToBase64String([5, 6]), decryptType), TestContext.Current.CancellationToken);

        result.Plaintext.Should().Equal(7, 7, 7);
        result.KeypairId.Should().Be(_keypair.Id);
        _rsa.Calls.Should().ContainSingle().Which.Should().Match<(KeypairId Id, byte[] Ciphertext, RsaPadding Padding)>(
            c => c.Id == _keypair.Id && c.Ciphertext.SequenceEqual(new byte[] { 5, 6 }) && c.Padding == padding);
    }

    [Fact]
    public async Task Decrypt_with_an_unknown_keypair_is_a_validation_failure_on_keypairId()
    {
        var act = () => Handler.Handle(new Decrypt(Guid.NewGuid().ToString(), "AAAA", null), TestContext.Current.CancellationToken).AsTask();

        (await act.Should().ThrowAsync<ValidationFailedException>()).Which.Errors.Should().ContainKey("keypairId");
        _rsa.Calls.Should().BeEmpty();
    }

    [Fact]
    public async Task Decrypt_that_fails_is_the_uniform_undecryptable_error()
    {
        _rsa.Plaintext = null;

        var act = () => Handler.Handle(new Decrypt(_keypair.Id.ToString(), "AAAA", "pkcs1"), TestContext.Current.CancellationToken).AsTask();

        (await act.Should().ThrowAsync<UndecryptableException>()).Which.Message.Should().Be(UndecryptableException.Text);
    }

    [Fact]
    public async Task Decrypt_with_a_disabled_keypair_is_forbidden_and_never_reaches_the_key()
    {
        var disabled = Keypair.Restore(KeypairId.New(), [1], new WrappedKey("fake:v1", [2]), Instant.FromUnixTimeSeconds(1), KeyState.Disabled);
        _keypairs.Stored.Add(disabled.Id, disabled);
        _rsa.Plaintext = [1];

        var act = () => Handler.Handle(new Decrypt(disabled.Id.ToString(), "AAAA", null), TestContext.Current.CancellationToken).AsTask();

        (await act.Should().ThrowAsync<ForbiddenException>()).Which.Message.Should().Contain("disabled");
        _rsa.Calls.Should().BeEmpty();
    }

    [Theory]
    [InlineData(null, "AAAA", null, "keypairId")]
    [InlineData("not-a-uuid", "AAAA", null, "keypairId")]
    [InlineData("3f2b6a3e-5a0b-4c1e-9f59-7f1f2f0a9e11", null, null, "body")]
    [InlineData("3f2b6a3e-5a0b-4c1e-9f59-7f1f2f0a9e11", "", null, "body")]
    [InlineData("3f2b6a3e-5a0b-4c1e-9f59-7f1f2f0a9e11", "AAAA", "oaep", "decryptType")]
    [InlineData("3f2b6a3e-5a0b-4c1e-9f59-7f1f2f0a9e11", "AAAA", "PKCS1", "decryptType")]
    public void Decrypt_validator_names_the_bad_field(string? keypairId, string? body, string? decryptType, string field)
    {
        var result = new DecryptValidator().Validate(new Decrypt(keypairId, body, decryptType));

        result.IsValid.Should().BeFalse();
        result.Errors.Should().ContainSingle().Which.PropertyName.Should().BeEquivalentTo(field);
    }

    [Theory]
    [InlineData("not base64!")]
    [InlineData("AAA")]
    [InlineData("====")]
    [InlineData(null)]
    public async Task A_body_that_is_not_base64_or_longer_than_any_ciphertext_is_the_uniform_error_and_never_reaches_the_key(string? body)
    {
        _rsa.Plaintext = [1];
        body ??= Convert.ToBase64String(new byte[DecryptValidator.MaxBodyLength]);

        new DecryptValidator().Validate(new Decrypt(_keypair.Id.ToString(), body, null)).IsValid.Should().BeTrue("a body that is there is the handler's to judge");
        var act = () => Handler.Handle(new Decrypt(_keypair.Id.ToString(), body, null), TestContext.Current.CancellationToken).AsTask();

        (await act.Should().ThrowAsync<UndecryptableException>()).Which.Message.Should().Be(UndecryptableException.Text);
        _rsa.Calls.Should().BeEmpty();
    }

    [Fact]
    public void Decrypt_validator_accepts_a_well_formed_request()
    {
        new DecryptValidator().Validate(new Decrypt(Guid.NewGuid().ToString(), Convert.ToBase64String(new byte[384]), "pkcs1"))
            .IsValid.Should().BeTrue();
    }
}
