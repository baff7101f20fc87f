using System.Security.Cryptography;
using LocalKeyManager.Domain.Crypto;
using LocalKeyManager.Infrastructure.Crypto.KeyProtection;

namespace LocalKeyManager.Infrastructure.IntegrationTests;

public sealed class LocalKeyProtectorTests
{
    private static readonly byte[] V1 = RandomNumberGenerator.GetBytes(32);
    private static readonly byte[] V2 = RandomNumberGenerator.GetBytes(32);

    private static LocalKeyProtector Protector(int active, params (int Version, byte[] Key)[] keys)
    {
        var holder = new MasterKeyHolder();
        holder.Load(new MasterKeyRing(keys.ToDictionary(k => k.Version, k => k.Key), active));
        return new LocalKeyProtector(holder);
    }

    [Fact]
    public void Wrap_then_unwrap_returns_the_plaintext_and_names_the_active_version()
    {
        var protector = Protector(1, (1, V1));
        var secret = RandomNumberGenerator.GetBytes(1800);

        var wrapped = protector.Wrap(secret, "lkm/keypair/a");
        var back = new byte[protector.MaxPlaintextLength(wrapped)];
        var length = protector.Unwrap(wrapped, "lkm/keypair/a", back);

        wrapped.KekId.Should().Be("local:v1");
        back.AsSpan(0, length).ToArray().Should().Equal(secret);
        wrapped.Blob.AsSpan().IndexOf(secret.AsSpan(0, 16)).Should().Be(-1, "the blob must not contain the plaintext");
    }

    [Fact]
    public void A_blob_moved_to_another_record_fails_to_unwrap()
    {
        var protector = Protector(1, (1, V1));
        var wrapped = protector.Wrap([1, 2, 3], "lkm/keypair/a");

        var act = () => protector.Unwrap(wrapped, "lkm/keypair/b", new byte[16]);

        act.Should().Throw<KeyUnwrapException>();
    }

    [Fact]
    public void Changing_any_byte_of_the_blob_fails_to_unwrap()
    {
        var protector = Protector(1, (1, V1));
        var wrapped = protector.Wrap([1, 2, 3, 4, 5, 6, 7, 8], "ctx");

        for (var i = 0; i < wrapped.Blob.Length; i++)
        {
            var tampered = (byte[])wrapped.Blob.Clone();
            tampered[i] ^= 0x01;
            var act = () => protector.Unwrap(wrapped with { Blob = tampered }, "ctx", new byte[64]);
            act.Should().Throw<KeyUnwrapException>($"byte {i} was changed");
        }
    }

    [Fact]
    public void After_rotation_new_wraps_use_the_new_version_and_old_blobs_still_unwrap()
    {
        var old = Protector(1, (1, V1)).Wrap([42], "ctx");
        var rotated = Protector(2, (1, V1), (2, V2));

        rotated.Wrap([43], "ctx").KekId.Should().Be("local:v2");
        var back = new byte[8];
        rotated.Unwrap(old, "ctx", back).Should().Be(1);
        back[0].Should().Be(42);
    }

    [Fact]
    public void A_blob_of_a_version_that_is_not_configured_fails_clearly()
    {
        var wrapped = Protector(2, (1, V1), (2, V2)).Wrap([1], "ctx");

        var act = () => Protector(1, (1, V1)).Unwrap(wrapped, "ctx", new byte[8]);

        act.Should().Throw<KeyUnwrapException>().WithMessage("*version 2*");
    }

    [Fact]
    public void A_wrong_master_key_fails_to_unwrap()
    {
        var wrapped = Protector(1, (1, V1)).Wrap([1], "ctx");

        var act = () => Protector(1, (1, V2)).Unwrap(wrapped, "ctx", new byte[8]);

        act.Should().Throw<KeyUnwrapException>();
    }

    [Fact]
    public void A_ring_refuses_keys_that_are_not_256_bits_and_an_absent_active_version()
    {
        FluentActions.Invoking(() => new MasterKeyRing(new Dictionary<int, byte[]> { [1] = new byte[16] }, 1)).Should().Throw<MasterKeyException>();
        FluentActions.Invoking(() => new MasterKeyRing(new Dictionary<int, byte[]> { [1] = V1 }, 2)).Should().Throw<MasterKeyException>();
    }
}

public sealed class MasterKeyHolderTests : IDisposable
{
    private readonly string _dir = Directory.CreateTempSubdirectory("lkm-holder-").FullName;

    public void Dispose() => Directory.Delete(_dir, recursive: true);

    [Fact]
    public void A_key_file_that_becomes_unreadable_keeps_the_ring_and_is_reported_once()
    {
        var path = Path.Combine(_dir, "lkm.masterkey.json");
        var ring = MasterKeyRing.CreateNew();
        ring.WriteNewFile(path);
        var logger = new Microsoft.Extensions.Logging.Testing.FakeLogger<MasterKeyHolder>();
        var holder = new MasterKeyHolder(logger);
        holder.LoadFile(path);

        File.WriteAllText(path, "garbage");
        File.SetLastWriteTimeUtc(path, DateTime.UtcNow.AddMinutes(1));
        var seen = new List<MasterKeyRing>();
        for (var i = 0; i < 2; i++)
        {
            Thread.Sleep(MasterKeyHolder.RecheckEvery + TimeSpan.FromMilliseconds(100));
            seen.Add(holder.Ring);
        }

        seen.Should().AllSatisfy(r => r.Active.Should().Equal(ring.Active));
        logger.Collector.GetSnapshot().Select(r => r.Message).Should().ContainSingle().Which.Should().Contain(path).And.Contain("is not valid JSON").And.NotContain(Convert.ToBase64String(ring.Active));
    }

    [Fact]
    public void Another_installations_key_file_swapped_in_is_kept_out_and_reported_once_while_a_rotation_is_taken()
    {
        var path = Path.Combine(_dir, "lkm.masterkey.json");
        var ours = MasterKeyRing.CreateNew();
        ours.WriteNewFile(path);
        var logger = new Microsoft.Extensions.Logging.Testing.FakeLogger<MasterKeyHolder>();
        var holder = new MasterKeyHolder(logger);
        holder.LoadFile(path);

        // Another installation's file: version 1 with another key, and a version 2 this one lacks.
        var theirs = MasterKeyRing.CreateNew().WithNewActiveVersion();
        theirs.ReplaceFile(path);
        File.SetLastWriteTimeUtc(path, DateTime.UtcNow.AddMinutes(1));
        holder.TryLearn(2).Should().BeFalse("its version 2 comes with a version 1 that is not ours");
        var seen = new List<MasterKeyRing>();
        for (var i = 0; i < 2; i++)
        {
            Thread.Sleep(MasterKeyHolder.RecheckEvery + TimeSpan.FromMilliseconds(100));
            seen.Add(holder.Ring);
        }

        seen.Should().AllSatisfy(r => r.Versions.Should().Equal(1)).And.AllSatisfy(r => r.Active.Should().Equal(ours.Active));
        logger.Collector.GetSnapshot().Select(r => r.Message).Should().ContainSingle().Which.Should()
            .Contain(path).And.Contain("version 1 is not the key this instance holds")
            .And.NotContain(Convert.ToBase64String(ours.Active)).And.NotContain(Convert.ToBase64String(theirs.Active));

        // Our own file rotated is taken, with its new version.
        var rotated = ours.WithNewActiveVersion();
        rotated.ReplaceFile(path);
        File.SetLastWriteTimeUtc(path, DateTime.UtcNow.AddMinutes(2));
        holder.TryLearn(2).Should().BeTrue();
        holder.Ring.Active.Should().Equal(rotated.Active);
        logger.Collector.Count.Should().Be(1);
    }
}
