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

    [Fact]
    public async Task A_key_stored_under_the_old_version_behind_the_pass_is_rewrapped_by_another_pass()
    {
        await using var instance = await StartWithKeypairsAsync(3);
        var late = LateKeypairs(instance, 1);
        var rotation = instance.Get<MasterKeyRotation>();
        rotation.AddActiveVersion();

        // Stored under version 1 after the pass went by (its id sorts before every other), as an
        // instance that has not yet read the new version does.
        var result = await rotation.RewrapAllAsync(2, line => StoreOneBehindThePass(instance, late, line), TimeSpan.Zero, TimeSpan.Zero, Ct);

        late.Should().BeEmpty("the late keypair was stored during the first pass");
        result.Passes.Should().Be(2);
        result.Keypairs.Should().Be(4);
        result.Remaining.Should().BeEmpty();
        result.Usage.Should().Equal(new Dictionary<string, int> { ["local:v2"] = 4 });
        (await rotation.UsageAsync(Ct)).Should().Equal(result.Usage, "the result reports the usage as it is");
    }

    [Fact]
    public async Task A_clean_first_pass_is_not_the_last_word_while_an_instance_may_still_store_under_the_old_version()
    {
        await using var instance = await StartWithKeypairsAsync(2);
        var late = LateKeypairs(instance, 1);
        var rotation = instance.Get<MasterKeyRotation>();
        rotation.AddActiveVersion();
        var lines = new List<string>();

        // Stored under version 1 once the first pass found nothing left, as an instance that reads
        // the key file a moment later does (seen: rotate exited 0 with such a key left behind).
        var result = await rotation.RewrapAllAsync(5, line =>
        {
            lines.Add(line);
            if (line.StartsWith("nothing left under another version", StringComparison.Ordinal) && late.TryPop(out var row))
            {
                using var scope = instance.Scope();
                var db = scope.ServiceProvider.GetRequiredService<Infrastructure.Persistence.KeyManagerDbContext>();
                db.Keypairs.Add(row);
                db.SaveChanges();
            }
        }, TimeSpan.Zero, TimeSpan.FromMilliseconds(300), Ct);

        late.Should().BeEmpty("the first pass was clean and the rotation waited before its last one");
        result.Passes.Should().Be(2);
        result.Keypairs.Should().Be(3);
        result.Remaining.Should().BeEmpty();
        result.Usage.Should().Equal(new Dictionary<string, int> { ["local:v2"] = 3 });
        lines.Should().ContainSingle(l => l.StartsWith("nothing left under another version; a last pass in 0 s", StringComparison.Ordinal));
    }

    [Fact]
    public async Task Keys_still_stored_under_the_old_version_after_the_last_pass_are_reported_as_remaining()
    {
        await using var instance = await StartWithKeypairsAsync(2);
        var late = LateKeypairs(instance, MasterKeyRotation.MaxPasses + 1);
        var rotation = instance.Get<MasterKeyRotation>();
        rotation.AddActiveVersion();

        // An instance that goes on storing under version 1 through every pass.
        var result = await rotation.RewrapAllAsync(5, line => StoreOneBehindThePass(instance, late, line), TimeSpan.Zero, TimeSpan.Zero, Ct);

        result.Passes.Should().Be(MasterKeyRotation.MaxPasses);
        result.Remaining.Should().Equal(new Dictionary<string, int> { ["local:v1"] = 1 });
        result.Usage.Should().Equal(await rotation.UsageAsync(Ct), "the result reports the usage as it is");
        result.Usage["local:v1"].Should().Be(1);
        MasterKeyRotation.Describe(result.Remaining).Should().Be("1 key(s) under local:v1");
    }

    private static async Task<TestServices> StartWithKeypairsAsync(int count)
    {
        var instance = await TestServices.StartAsync();
        await using var scope = instance.Scope();
        for (var i = 0; i < count; i++)
        {
            await new GenerateKeypairHandler(instance.Get<IRsaEngine>(), scope.ServiceProvider.GetRequiredService<IKeypairRepository>(), instance.Clock).Handle(new GenerateKeypair(), Ct);
        }

        return instance;
    }

    /// <summary>Keypairs wrapped under the version active now, not yet stored, each id sorting before the one before it (and every random id).</summary>
    private static Stack<Infrastructure.Persistence.KeypairRow> LateKeypairs(TestServices instance, int count)
    {
        using var rsa = RSA.Create(2048);
        var pem = rsa.ExportRSAPrivateKeyPem();
        var rows = new Stack<Infrastructure.Persistence.KeypairRow>();
        for (var i = 0; i < count; i++)
        {
            var id = Guid.Parse($"00000000-0000-0000-0000-{100 - count + 1 + i:D12}");
            var imported = instance.Get<IRsaEngine>().TryImport(new KeypairId(id), pem, 2048, out var error) ?? throw new InvalidOperationException(error);
            rows.Push(new Infrastructure.Persistence.KeypairRow { Id = id, PublicKey = imported.PublicKey, WrappedPrivateKey = imported.PrivateKey.Blob, KekId = imported.PrivateKey.KekId, CreatedAt = instance.Clock.GetCurrentInstant() });
        }

        return rows;
    }

    /// <summary>After a batch of keypairs, stores the next late keypair: its id is below every id the pass has read.</summary>
    private static void StoreOneBehindThePass(TestServices instance, Stack<Infrastructure.Persistence.KeypairRow> late, string progress)
    {
        if (!progress.Contains("keypair(s)", StringComparison.Ordinal) || !late.TryPop(out var row))
        {
            return;
        }

        using var scope = instance.Scope();
        var db = scope.ServiceProvider.GetRequiredService<Infrastructure.Persistence.KeyManagerDbContext>();
        db.Keypairs.Add(row);
        db.SaveChanges();
    }
}
