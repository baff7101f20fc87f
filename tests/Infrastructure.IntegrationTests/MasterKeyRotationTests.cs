using System.Security.Cryptography;
using System.Text;
using LocalKeyManager.Application.Credentials.RegisterHawkCredential;
using LocalKeyManager.Application.Keys.GenerateKeypair;
using LocalKeyManager.Domain.Credentials;
using LocalKeyManager.Domain.Crypto;
using LocalKeyManager.Domain.Keys;
using LocalKeyManager.Infrastructure.Crypto.KeyProtection;
using Microsoft.Extensions.DependencyInjection;

namespace LocalKeyManager.Infrastructure.IntegrationTests;

public sealed class MasterKeyRotationTests
{
    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    [Fact]
    public async Task Rotation_rewraps_everything_online_is_resumable_and_frees_the_old_version_for_retirement()
    {
        await using var instance = await TestServices.StartAsync();
        var keyFile = Path.Combine(instance.Directory, MasterKeyInitializer.DefaultKeyFileName);
        RegisteredCredential credential;
        await using (var scope = instance.Scope())
        {
            credential = await new RegisterHawkCredentialHandler(scope.ServiceProvider.GetRequiredService<ICredentialRepository>(), instance.Get<IKeyProtector>(), instance.Clock)
                .Handle(new RegisterHawkCredential("genesys-rotate", null), Ct);
            for (var i = 0; i < 3; i++)
            {
                await new GenerateKeypairHandler(instance.Get<IRsaEngine>(), scope.ServiceProvider.GetRequiredService<IKeypairRepository>(), instance.Clock).Handle(new GenerateKeypair(), Ct);
            }
        }

        // A second instance on the same database and key file, started before the rotation.
        await using var other = await TestServices.StartAsync(directory: instance.Directory);
        var rotation = instance.Get<MasterKeyRotation>();

        rotation.AddActiveVersion().Should().Be(2);
        var progress = new List<string>();
        var (keypairs, credentials) = await rotation.RewrapAsync(2, progress.Add, Ct);

        keypairs.Should().Be(3);
        credentials.Should().Be(1);
        progress.Should().NotBeEmpty();
        (await rotation.UsageAsync(Ct)).Should().Equal(new Dictionary<string, int> { ["local:v2"] = 4 });
        (await rotation.RewrapAsync(2, _ => { }, Ct)).Should().Be((0, 0), "a second run finds nothing left to do");

        // Both instances use the re-wrapped keys: the other one learns version 2 from the file.
        foreach (var services in new[] { instance, other })
        {
            await using var scope = services.Scope();
            var keypair = (await scope.ServiceProvider.GetRequiredService<IKeypairRepository>().ListAsync(Ct))[0];
            keypair.PrivateKey!.KekId.Should().Be("local:v2");
            using var rsa = RSA.Create();
            rsa.ImportRSAPublicKey(keypair.PublicKey, out _);
            var secret = RandomNumberGenerator.GetBytes(32);
            var plaintext = await services.Get<IRsaEngine>().DecryptAsync(keypair, rsa.Encrypt(secret, RSAEncryptionPadding.OaepSHA1), RsaPadding.OaepSha1, Ct);
            plaintext.Should().Equal(secret);

            var stored = await scope.ServiceProvider.GetRequiredService<ICredentialRepository>().FindAsync("genesys-rotate", Ct);
            var key = new byte[64];
            var length = services.Get<IKeyProtector>().Unwrap(stored!.Key, HawkCredential.WrappingContext("genesys-rotate"), key);
            Encoding.UTF8.GetString(key, 0, length).Should().Be(credential.AuthKey);
        }

        await rotation.RetireAsync(1, Ct);
        MasterKeyRing.ReadFile(keyFile).Versions.Should().Equal(2);
        await FluentActions.Awaiting(() => rotation.RetireAsync(2, Ct)).Should().ThrowAsync<MasterKeyException>().WithMessage("*active*");
        if (!OperatingSystem.IsWindows())
        {
            File.GetUnixFileMode(keyFile).Should().Be(UnixFileMode.UserRead | UnixFileMode.UserWrite);
        }
    }

    [Fact]
    public async Task An_old_version_still_in_use_cannot_be_retired()
    {
        await using var instance = await TestServices.StartAsync();
        await using (var scope = instance.Scope())
        {
            await new GenerateKeypairHandler(instance.Get<IRsaEngine>(), scope.ServiceProvider.GetRequiredService<IKeypairRepository>(), instance.Clock).Handle(new GenerateKeypair(), Ct);
        }

        var rotation = instance.Get<MasterKeyRotation>();
        rotation.AddActiveVersion();

        await FluentActions.Awaiting(() => rotation.RetireAsync(1, Ct)).Should().ThrowAsync<MasterKeyException>().WithMessage("*still wrapped under version 1: run 'master-key rotate --resume' first*");
    }
}
