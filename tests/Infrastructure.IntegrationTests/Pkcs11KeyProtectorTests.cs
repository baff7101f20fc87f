using System.Security.Cryptography;
using LocalKeyManager.Application.Keys.GenerateKeypair;
using LocalKeyManager.Domain.Crypto;
using LocalKeyManager.Domain.Keys;
using LocalKeyManager.Infrastructure.Crypto.KeyProtection;
using LocalKeyManager.Infrastructure.Crypto.KeyProtection.Pkcs11;
using Microsoft.Extensions.DependencyInjection;

namespace LocalKeyManager.Infrastructure.IntegrationTests;

/// <summary>
/// The PKCS#11 provider against a real PKCS#11 module: SoftHSM2, with a throwaway token that
/// scripts/test.sh creates (scripts/softhsm-token.sh) and announces in LKM_TEST_PKCS11_*.
/// </summary>
public sealed class Pkcs11KeyProtectorTests
{
    private static readonly string? Module = Environment.GetEnvironmentVariable("LKM_TEST_PKCS11_MODULE");
    private static readonly string? Token = Environment.GetEnvironmentVariable("LKM_TEST_PKCS11_TOKEN");
    private static readonly string? Pin = Environment.GetEnvironmentVariable("LKM_TEST_PKCS11_PIN");
    private const string SkipReason = "LKM_TEST_PKCS11_* are not set: run scripts/test.sh, which creates a SoftHSM2 token";

    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    private static Dictionary<string, string?> Settings(string keyLabel) => new()
    {
        ["KeyProtection:Provider"] = "Pkcs11",
        ["KeyProtection:Pkcs11:ModulePath"] = Module,
        ["KeyProtection:Pkcs11:TokenLabel"] = Token,
        ["KeyProtection:Pkcs11:Pin"] = Pin,
        ["KeyProtection:Pkcs11:KeyLabel"] = keyLabel,
    };

    [Fact]
    public void A_library_that_is_not_a_pkcs11_module_is_refused_with_a_message_naming_it()
    {
        // The runtime's own native library loads, but has no C_GetFunctionList.
        var notAModule = Path.Combine(System.Runtime.InteropServices.RuntimeEnvironment.GetRuntimeDirectory(), "libSystem.Native.so");
        Assert.SkipUnless(File.Exists(notAModule), $"{notAModule} is not here (not Linux?)");

        var open = () => Pkcs11Token.Open(notAModule, "any", "1234");

        open.Should().Throw<MasterKeyException>().WithMessage($"{notAModule} could not be loaded as a PKCS#11 module*");
    }

    private static string NewHsmKey()
    {
        var label = "lkm-test-" + Guid.NewGuid().ToString("N")[..8];
        using var token = Pkcs11Token.Open(Module!, Token!, Pin!);
        token.CreateAesKey(label);
        return label;
    }

    [Fact]
    public async Task Keys_wrapped_in_the_hsm_decrypt_and_the_database_holds_no_master_key_file()
    {
        Assert.SkipWhen(Module is null || Token is null || Pin is null, SkipReason);
        await using var services = await TestServices.StartAsync(Settings(NewHsmKey()));
        var protector = services.Get<IKeyProtector>();
        protector.Should().BeOfType<Pkcs11KeyProtector>();

        await using var scope = services.Scope();
        var keypairs = scope.ServiceProvider.GetRequiredService<IKeypairRepository>();
        var created = await new GenerateKeypairHandler(services.Get<IRsaEngine>(), keypairs, services.Clock).Handle(new GenerateKeypair(), Ct);
        var keypair = (await keypairs.FindAsync(created.Id, Ct))!;
        keypair.PrivateKey!.KekId.Should().StartWith("pkcs11:lkm-test-");
        using var rsa = RSA.Create();
        rsa.ImportRSAPublicKey(keypair.PublicKey, out _);
        var secret = RandomNumberGenerator.GetBytes(32);
        var plaintext = await services.Get<IRsaEngine>().DecryptAsync(keypair, rsa.Encrypt(secret, RSAEncryptionPadding.OaepSHA1), RsaPadding.OaepSha1, Ct);
        plaintext.Should().Equal(secret);
        File.Exists(Path.Combine(services.Directory, MasterKeyInitializer.DefaultKeyFileName)).Should().BeFalse();
    }

    [Fact]
    public async Task The_hsm_binds_the_context_and_refuses_any_altered_byte()
    {
        Assert.SkipWhen(Module is null || Token is null || Pin is null, SkipReason);
        await using var services = await TestServices.StartAsync(Settings(NewHsmKey()));
        var protector = services.Get<IKeyProtector>();
        var secret = RandomNumberGenerator.GetBytes(1800);

        var wrapped = protector.Wrap(secret, "lkm/keypair/a");
        var back = new byte[protector.MaxPlaintextLength(wrapped)];
        protector.Unwrap(wrapped, "lkm/keypair/a", back).Should().Be(secret.Length);
        back.AsSpan(0, secret.Length).ToArray().Should().Equal(secret);
        wrapped.Blob.AsSpan().IndexOf(secret.AsSpan(0, 16)).Should().Be(-1);

        FluentActions.Invoking(() => protector.Unwrap(wrapped, "lkm/keypair/b", back)).Should().Throw<KeyUnwrapException>();
        foreach (var index in new[] { 0, 1, 13, wrapped.Blob.Length / 2, wrapped.Blob.Length - 1 })
        {
            var tampered = (byte[])wrapped.Blob.Clone();
            tampered[index] ^= 0x01;
            FluentActions.Invoking(() => protector.Unwrap(wrapped with { Blob = tampered }, "lkm/keypair/a", back)).Should().Throw<KeyUnwrapException>($"byte {index} changed");
        }
    }

    [Fact]
    public async Task A_new_hsm_key_takes_over_online_old_blobs_unwrap_under_the_previous_label_until_rewrapped()
    {
        Assert.SkipWhen(Module is null || Token is null || Pin is null, SkipReason);
        var (first, second) = (NewHsmKey(), NewHsmKey());
        await using var before = await TestServices.StartAsync(Settings(first));
        var (old, oldPublic) = await GenerateAsync(before);
        var rotated = Settings(second);
        rotated["KeyProtection:Pkcs11:PreviousKeyLabels:0"] = first;

        await using var during = await TestServices.StartAsync(rotated, before.Directory);
        (await DecryptsAsync(during, old, oldPublic)).Should().BeTrue("a blob under the previous label still unwraps");
        var (fresh, freshPublic) = await GenerateAsync(during);
        var (keypairs, _) = await during.Get<MasterKeyRotation>().RewrapAsync(1, _ => { }, Ct);
        var usage = await during.Get<MasterKeyRotation>().UsageAsync(Ct);

        fresh.PrivateKey!.KekId.Should().Be("pkcs11:" + second);
        keypairs.Should().Be(1);
        usage.Should().Equal(new Dictionary<string, int> { ["pkcs11:" + second] = 2 });
        await using var after = await TestServices.StartAsync(Settings(second), before.Directory);
        (await DecryptsAsync(after, old, oldPublic)).Should().BeTrue("re-wrapped, it needs the new key only");
        (await DecryptsAsync(after, fresh, freshPublic)).Should().BeTrue();
        var onlyTheOldKey = () => TestServices.StartAsync(Settings(first), before.Directory);
        await onlyTheOldKey.Should().ThrowAsync<MasterKeyException>().WithMessage("*PreviousKeyLabels*");
    }

    private static async Task<(Keypair Keypair, byte[] PublicKey)> GenerateAsync(TestServices services)
    {
        await using var scope = services.Scope();
        var keypairs = scope.ServiceProvider.GetRequiredService<IKeypairRepository>();
        var created = await new GenerateKeypairHandler(services.Get<IRsaEngine>(), keypairs, services.Clock).Handle(new GenerateKeypair(), Ct);
        var keypair = (await keypairs.FindAsync(created.Id, Ct))!;
        return (keypair, keypair.PublicKey);
    }

    private static async Task<bool> DecryptsAsync(TestServices services, Keypair keypair, byte[] publicKey)
    {
        await using var scope = services.Scope();
        var stored = (await scope.ServiceProvider.GetRequiredService<IKeypairRepository>().FindAsync(keypair.Id, Ct))!;
        using var rsa = RSA.Create();
        rsa.ImportRSAPublicKey(publicKey, out _);
        var secret = RandomNumberGenerator.GetBytes(32);
        var plaintext = await services.Get<IRsaEngine>().DecryptAsync(stored, rsa.Encrypt(secret, RSAEncryptionPadding.OaepSHA1), RsaPadding.OaepSha1, Ct);
        return plaintext is not null && plaintext.AsSpan().SequenceEqual(secret);
    }

    [Fact]
    public async Task An_hsm_key_that_is_not_aes_256_stops_start_up_with_a_clear_message()
    {
        Assert.SkipWhen(Module is null || Token is null || Pin is null, SkipReason);
        var label = "lkm-test-short-" + Guid.NewGuid().ToString("N")[..8];
        using (var token = Pkcs11Token.Open(Module!, Token!, Pin!))
        {
            token.CreateAesKey(label, bytes: 16);
        }

        var start = () => TestServices.StartAsync(Settings(label));

        await start.Should().ThrowAsync<MasterKeyException>().WithMessage($"The PKCS#11 key '{label}' (KeyProtection:Pkcs11:KeyLabel) is AES, 16 bytes, not an AES key of 32 bytes*");
    }

    [Fact]
    public void A_key_the_token_would_let_out_is_named_for_a_warning_and_a_proper_one_is_not()
    {
        Assert.SkipWhen(Module is null || Token is null || Pin is null, SkipReason);
        var suffix = Guid.NewGuid().ToString("N")[..8];
        var (proper, extractable) = ("lkm-test-proper-" + suffix, "lkm-test-extractable-" + suffix);
        using (var token = Pkcs11Token.Open(Module!, Token!, Pin!))
        {
            token.CreateAesKey(proper);
            token.CreateAesKey(extractable, extractable: true);
        }

        using var holder = new Pkcs11Holder();
        var canLeave = holder.Open(new Pkcs11Options { ModulePath = Module, TokenLabel = Token, Pin = Pin, KeyLabel = proper, PreviousKeyLabels = [extractable] });

        canLeave.Should().Equal(extractable);
    }

    [Fact]
    public async Task A_missing_hsm_key_stops_start_up_with_a_clear_message()
    {
        Assert.SkipWhen(Module is null || Token is null || Pin is null, SkipReason);

        var missing = () => TestServices.StartAsync(Settings("no-such-key"));
        await missing.Should().ThrowAsync<MasterKeyException>().WithMessage("*no secret key labelled 'no-such-key'*");
    }
}
