using System.Diagnostics;
using System.Security.Cryptography;
using LocalKeyManager.Domain.Crypto;
using LocalKeyManager.Domain.Keys;
using NodaTime;

namespace LocalKeyManager.Infrastructure.IntegrationTests;

public sealed class RsaEngineTests : IAsyncLifetime
{
    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    private TestServices _services = null!;
    private IRsaEngine _rsa = null!;
    private Keypair _keypair = null!;
    private RSA _public = null!;

    public async ValueTask InitializeAsync()
    {
        _services = await TestServices.StartAsync();
        _rsa = _services.Get<IRsaEngine>();
        var id = KeypairId.New();
        var generated = await _rsa.GenerateAsync(id, TestContext.Current.CancellationToken);
        _keypair = Keypair.Create(id, generated.PublicKey, generated.PrivateKey, Instant.FromUnixTimeSeconds(0));
        _public = RSA.Create();
        _public.ImportRSAPublicKey(generated.PublicKey, out _);
    }

    public async ValueTask DisposeAsync()
    {
        _public.Dispose();
        await _services.DisposeAsync();
    }

    [Fact]
    public void Generated_keys_are_rsa_3072_with_exponent_65537_as_a_pkcs1_public_key()
    {
        _public.KeySize.Should().Be(3072);
        _public.ExportParameters(false).Exponent.Should().Equal(1, 0, 1);
        var reader = new System.Formats.Asn1.AsnReader(_keypair.PublicKey, System.Formats.Asn1.AsnEncodingRules.DER);
        var sequence = reader.ReadSequence();
        sequence.ReadInteger();
        sequence.ReadInteger();
        sequence.HasData.Should().BeFalse("an RSAPublicKey is a SEQUENCE of exactly two INTEGERs");
        _keypair.PrivateKey!.KekId.Should().Be("local:v1");
    }

    [Theory]
    [InlineData(RsaPadding.OaepSha1)]
    [InlineData(RsaPadding.Pkcs1)]
    public async Task Decrypts_what_the_public_key_encrypted(RsaPadding padding)
    {
        var secret = RandomNumberGenerator.GetBytes(32);
        var ciphertext = _public.Encrypt(secret, padding == RsaPadding.Pkcs1 ? RSAEncryptionPadding.Pkcs1 : RSAEncryptionPadding.OaepSHA1);

        var plaintext = await _rsa.DecryptAsync(_keypair, ciphertext, padding, Ct);
        plaintext.Should().Equal(secret);
    }

    [Theory]
    [InlineData("oaep", RsaPadding.OaepSha1)]
    [InlineData("pkcs1", RsaPadding.Pkcs1)]
    public async Task Decrypts_ciphertexts_made_by_the_openssl_command(string mode, RsaPadding padding)
    {
        Assert.SkipUnless(File.Exists("/usr/bin/openssl"), "the openssl command is not installed");
        var folder = Directory.CreateTempSubdirectory("lkm-openssl-").FullName;
        try
        {
            var secret = RandomNumberGenerator.GetBytes(32);
            await File.WriteAllBytesAsync(Path.Combine(folder, "secret"), secret, Ct);
            await File.WriteAllTextAsync(Path.Combine(folder, "pub.pem"), _public.ExportSubjectPublicKeyInfoPem(), Ct);
            var options = mode == "oaep" ? "-pkeyopt rsa_padding_mode:oaep -pkeyopt rsa_oaep_md:sha1 -pkeyopt rsa_mgf1_md:sha1" : "-pkeyopt rsa_padding_mode:pkcs1";
            using var process = Process.Start(new ProcessStartInfo("/bin/sh", ["-c", $"openssl pkeyutl -encrypt -pubin -inkey pub.pem {options} -in secret -out ct"])
            {
                WorkingDirectory = folder,
                RedirectStandardError = true,
            })!;
            await process.WaitForExitAsync(Ct);
            process.ExitCode.Should().Be(0, await process.StandardError.ReadToEndAsync(Ct));

            var ciphertext = await File.ReadAllBytesAsync(Path.Combine(folder, "ct"), Ct);
            var plaintext = await _rsa.DecryptAsync(_keypair, ciphertext, padding, Ct);
            plaintext.Should().Equal(secret);
        }
        finally
        {
            Directory.Delete(folder, recursive: true);
        }
    }

    [Fact]
    public async Task Wrong_padding_wrong_key_wrong_length_and_garbage_all_fail_the_same_way()
    {
        var secret = RandomNumberGenerator.GetBytes(32);
        using var other = RSA.Create(3072);

        (await _rsa.DecryptAsync(_keypair, _public.Encrypt(secret, RSAEncryptionPadding.Pkcs1), RsaPadding.OaepSha1, Ct)).Should().BeNull();
        (await _rsa.DecryptAsync(_keypair, _public.Encrypt(secret, RSAEncryptionPadding.OaepSHA1), RsaPadding.Pkcs1, Ct)).Should().BeNull();
        (await _rsa.DecryptAsync(_keypair, other.Encrypt(secret, RSAEncryptionPadding.OaepSHA1), RsaPadding.OaepSha1, Ct)).Should().BeNull();
        (await _rsa.DecryptAsync(_keypair, RandomNumberGenerator.GetBytes(383), RsaPadding.OaepSha1, Ct)).Should().BeNull();
        (await _rsa.DecryptAsync(_keypair, new byte[385], RsaPadding.Pkcs1, Ct)).Should().BeNull();
        (await _rsa.DecryptAsync(_keypair, [], RsaPadding.Pkcs1, Ct)).Should().BeNull();
        (await _rsa.DecryptAsync(_keypair, RandomNumberGenerator.GetBytes(384), RsaPadding.OaepSha1, Ct)).Should().BeNull();
    }

    [Theory]
    [InlineData(RsaPadding.OaepSha1)]
    [InlineData(RsaPadding.Pkcs1)]
    public async Task A_ciphertext_sent_without_its_leading_zero_bytes_decrypts_as_the_original_did(RsaPadding padding)
    {
        // Senders that write the ciphertext as a big integer drop its leading zero byte; the
        // original's BouncyCastle engine decrypted such input, so Genesys-era clients may send it.
        var secret = RandomNumberGenerator.GetBytes(32);
        var framework = padding == RsaPadding.Pkcs1 ? RSAEncryptionPadding.Pkcs1 : RSAEncryptionPadding.OaepSHA1;
        var ciphertext = Enumerable.Range(0, 20_000).Select(_ => _public.Encrypt(secret, framework)).First(c => c[0] == 0);

        var plaintext = await _rsa.DecryptAsync(_keypair, ciphertext[1..], padding, Ct);

        plaintext.Should().Equal(secret);
        ciphertext.Length.Should().Be(384);
    }

    [Fact]
    public async Task Concurrent_decrypts_with_the_cached_key_are_all_correct()
    {
        var secrets = Enumerable.Range(0, 64).Select(_ => RandomNumberGenerator.GetBytes(32)).ToArray();
        var ciphertexts = secrets.Select(s => _public.Encrypt(s, RSAEncryptionPadding.OaepSHA1)).ToArray();

        var failures = 0;
        await Parallel.ForAsync(0, 800, new ParallelOptions { MaxDegreeOfParallelism = 8 }, async (i, ct) =>
        {
            var index = i % secrets.Length;
            var plaintext = await _rsa.DecryptAsync(_keypair, ciphertexts[index], RsaPadding.OaepSha1, ct);
            if (plaintext is null || !plaintext.AsSpan().SequenceEqual(secrets[index]))
            {
                Interlocked.Increment(ref failures);
            }
        });

        failures.Should().Be(0);
    }

    [Fact]
    public async Task A_tampered_wrapped_key_fails_closed_with_an_unwrap_error()
    {
        var blob = (byte[])_keypair.PrivateKey!.Blob.Clone();
        blob[^5] ^= 0x80;
        var tampered = Keypair.Restore(KeypairId.New(), _keypair.PublicKey, _keypair.PrivateKey! with { Blob = blob }, _keypair.CreatedAt, KeyState.Enabled);

        var act = () => _rsa.DecryptAsync(tampered, new byte[384], RsaPadding.OaepSha1, Ct);

        await act.Should().ThrowAsync<KeyUnwrapException>();
    }

    [Fact]
    public async Task Imports_the_originals_base64_der_pkcs1_and_pem_pkcs1_pkcs8_and_der_pkcs8()
    {
        using var original = RSA.Create(2048);
        var secret = RandomNumberGenerator.GetBytes(32);
        var ciphertext = original.Encrypt(secret, RSAEncryptionPadding.OaepSHA1);
        var forms = new[]
        {
            Convert.ToBase64String(original.ExportRSAPrivateKey()),
            original.ExportRSAPrivateKeyPem(),
            original.ExportPkcs8PrivateKeyPem(),
            Convert.ToBase64String(original.ExportPkcs8PrivateKey()),
            "\n  " + Convert.ToBase64String(original.ExportRSAPrivateKey()) + "\n",
            // As `openssl pkcs12 -nodes` writes a key taken out of a PKCS#12 file.
            "Bag Attributes\n    localKeyID: 01 00 00 00 \n    friendlyName: recordings\nKey Attributes: <No Attributes>\n" + original.ExportPkcs8PrivateKeyPem() + "\n",
        };

        foreach (var form in forms)
        {
            var id = KeypairId.New();
            var imported = _rsa.TryImport(id, form, 2048, out var error);

            imported.Should().NotBeNull(error);
            imported!.PublicKey.Should().Equal(original.ExportRSAPublicKey());
            var keypair = Keypair.Create(id, imported.PublicKey, imported.PrivateKey, Instant.FromUnixTimeSeconds(0));
            var plaintext = await _rsa.DecryptAsync(keypair, ciphertext, RsaPadding.OaepSha1, Ct);
            plaintext.Should().Equal(secret);
        }
    }

    [Fact]
    public void Import_refuses_small_keys_public_keys_encrypted_pem_and_garbage_without_echoing_them()
    {
        using var small = RSA.Create(1024);
        using var ok = RSA.Create(2048);
        var refused = new[]
        {
            Convert.ToBase64String(small.ExportRSAPrivateKey()),
            ok.ExportSubjectPublicKeyInfoPem(),
            Convert.ToBase64String(ok.ExportRSAPublicKey()),
            ok.ExportEncryptedPkcs8PrivateKeyPem("pw", new PbeParameters(PbeEncryptionAlgorithm.Aes256Cbc, HashAlgorithmName.SHA256, 1000)),
            "Bag Attributes\n    friendlyName: x\n" + ok.ExportEncryptedPkcs8PrivateKeyPem("pw", new PbeParameters(PbeEncryptionAlgorithm.Aes256Cbc, HashAlgorithmName.SHA256, 1000)),
            ok.ExportRSAPrivateKeyPem().Replace("-----\n", "-----\nProc-Type: 4,ENCRYPTED\nDEK-Info: AES-128-CBC,00112233445566778899AABBCCDDEEFF\n\n", StringComparison.Ordinal),
            ok.ExportSubjectPublicKeyInfoPem() + "\n" + ok.ExportPkcs8PrivateKeyPem(),
            "not a key at all",
            Convert.ToBase64String(RandomNumberGenerator.GetBytes(600)),
        };

        foreach (var form in refused)
        {
            _rsa.TryImport(KeypairId.New(), form, 2048, out var error).Should().BeNull(form[..Math.Min(30, form.Length)]);
            error.Should().NotBeNullOrEmpty().And.NotContain(form.Length > 40 ? form[10..40] : "\u0000");
        }

        _rsa.TryImport(KeypairId.New(), Convert.ToBase64String(small.ExportRSAPrivateKey()), 2048, out var smallError);
        smallError.Should().Contain("1024");
    }

    [Fact]
    public void A_multi_prime_key_is_refused_with_a_reason_instead_of_failing_when_wrapped()
    {
        var pkcs1 = Pkcs1Pem(ThreePrimeKeyPem);
        var forms = new[] { ThreePrimeKeyPem, pkcs1, string.Concat(pkcs1.Split('\n').Where(l => !l.StartsWith("-----", StringComparison.Ordinal))) };
        foreach (var form in forms)
        {
            _rsa.TryImport(KeypairId.New(), form, 2048, out var error).Should().BeNull();
            error.Should().Contain("multi-prime");
        }
    }

    /// <summary>The PKCS#1 PEM of a PKCS#8 PEM: the RSAPrivateKey inside the PrivateKeyInfo.</summary>
    private static string Pkcs1Pem(string pkcs8Pem)
    {
        var info = new System.Formats.Asn1.AsnReader(Convert.FromBase64String(string.Concat(pkcs8Pem.Split('\n').Where(l => !l.StartsWith("-----", StringComparison.Ordinal)))), System.Formats.Asn1.AsnEncodingRules.DER).ReadSequence();
        info.ReadInteger();
        info.ReadSequence();
        return PemEncoding.WriteString("RSA PRIVATE KEY", info.ReadOctetString());
    }

    /// <summary>A three-prime RSA-2048 key (<c>openssl genrsa -primes 3 2048</c>), made for this test only.</summary>
    private const string ThreePrimeKeyPem = """
        -----BEGIN PRIVATE KEY-----
        MIIE8gIBADANBgkqhkiG9w0BAQEFAASCBNwwggTYAgEBAoIBAQDCu9myCLomzcXC
        BMvuvj8JO2+6ZvquRLB7Hsf+SWfgYZDQL9xh1kOc+vu6sakQj8MPzA+2+He5fyYc
        7IdAk1VMecDN3e6X50Z/4nQtiG6nB7qLNjju4PxDjqH+VeV/OOXHLuqRKp9mJakj
        5KMUsDAjyuD5jjJAAqX+OWLygIMtXdHOi08YqGV8uAUBG1QH/Me2R7FZYVhMYies
        VY95rgVR4DEXPc9QXCLJB6bSISTaBytTczH3DopXCEcPsN5RpyD0FD9Stkpk0xzh
        VBqowveSZQ8g1ioKX6AIbnmJDqRsfEeXmfhqTCmD3RqCN5xqJVAghHbGDnXPk8+w
        BFBFESzHAgMBAAECggEAOXUF2aL7kgF7DTEvHuVhYg74e25xHsRDskA10FDGZo1D
        FjpY80EuN/5SEhbjhHB2pI2YQWt0n/XlP/mGOsZ+D4+JFPUbthRWV9twXhL4Wy5L
        m1HHYI00QAjDVL36ZeBt8iucddJlGjwJLto7ChR0ZIkkS7dkfAc+L0f1rjqQvNyf
        0fBoQh1Kh+hYM/ueoJrC6C3HNLG7Hzv4lFTEhln3RLDH/GC+lr1A7vXzLeoMc6SH
        1TNLA79WcIH4RrYK1udkFBsHM+pAKPUpJMHaMrK+ySuo5tOikFiNRgOKWsk/F4L9
        j9+50hSZReMP2AwBsRwq2ivDUlbYTp3sszhjHyMbQQJWB3c9NNUZLBjBWuxBxuIz
        cIyAtpe4HuIJEZAcqdH66WCn8VdfOv3OTEHbh5ShxIDcvF74iMSVjJpGB6mpuGjK
        a0TpR41NlIOgIX/zyrycpYE7thvMPNUCVgbYnTYeODJrWztSBPLldzNwzlcxLh2m
        kjaqLLkWOsJ6u/BWQdaLZ9sl8qnGfQr+O/vMqvJ8OGb2JorF1M1AsEGmigEtTIrE
        wdnFvUxVmbHdV1krgf7TAlYCDkzVgqUW5o5AOnT2jo25vYcoQOlb38S9iGDMRt2A
        bLRymivIM+IeT7hjQoO1eALRAJoSF4hTGpyUOZ1aAclT9rsCkB+/+Oscrn504rGE
        Re0qfcclLQJWANRccENHIezaOBzfFqNxRx1jEzOVV+hoDRGfq6mi4w/GGAALqDhq
        FCbL+YBghGV71S3ehNVCbE9lKimAeIJfGQVZ8XyQqrvelUmdf1Nb9S5RuC9KaBsC
        VgHIdAYLaEBwEm9sZf6WeVixuP6DmOo+kXZpBVg+ow12Dt+SfzK++3od+rECUIOL
        mQLcJNUqpDVfI4Tsm00AR88BLAe7arsmVTdkOzlDUcZ0jRmU/Zx6MIIBCzCCAQcC
        VgPPWUHI4cf55MSRiVc2v9VCiVpBfC43qV7Ct34v2xH8W5ZY+qnVCTFyVDDEHsvK
        23/ZC/DFUX2J4Aw/8bPxtgIZuM/+o4lkj5GSUqHu9zIxAQsfj81JAlUBUxS0yiG0
        ZCwkKnSU3XPTsE4QErQZXUCEsS0ZsYl3t0QgAM8kO+v2RMkAKy6JqvykddCw4+hw
        vH4nxBNDe8TK9iZKKTyxh0RiV3xiz7Egweia9V4JAlYCxUNkPjkjVkpr4FVvFMEF
        5XH8XL6MqhQvULkqyv1DPEb7zzBrpXj1B58WDJuRqL+wLgkEXBpt/0ydWoeO2Hwv
        0PDgH8Q+HKI96bk3QwTvcjADom0mng==
        -----END PRIVATE KEY-----
        """;

    [Fact]
    public async Task Forget_drops_the_parsed_key_and_a_later_decrypt_parses_it_again()
    {
        var secret = RandomNumberGenerator.GetBytes(32);
        var ciphertext = _public.Encrypt(secret, RSAEncryptionPadding.OaepSHA1);
        var cache = _services.Get<LocalKeyManager.Infrastructure.Crypto.PrivateKeyCache>();

        (await _rsa.DecryptAsync(_keypair, ciphertext, RsaPadding.OaepSha1, Ct)).Should().NotBeNull();
        var before = cache.Count;
        _rsa.Forget(_keypair.Id);

        cache.Count.Should().Be(before - 1);
        var plaintext = await _rsa.DecryptAsync(_keypair, ciphertext, RsaPadding.OaepSha1, Ct);
        plaintext.Should().Equal(secret);
    }

    [Fact]
    public async Task Keys_left_unused_for_the_idle_time_are_dropped_and_keys_in_use_are_kept()
    {
        var secret = RandomNumberGenerator.GetBytes(32);
        var ciphertext = _public.Encrypt(secret, RSAEncryptionPadding.OaepSHA1);
        var cache = _services.Get<LocalKeyManager.Infrastructure.Crypto.PrivateKeyCache>();
        (await _rsa.DecryptAsync(_keypair, ciphertext, RsaPadding.OaepSha1, Ct)).Should().Equal(secret);
        var before = cache.Count;

        cache.ForgetIdle(TimeSpan.FromMinutes(5)).Should().Be(0, "just used");
        cache.Count.Should().Be(before);
        await Task.Delay(50, Ct);
        cache.ForgetIdle(TimeSpan.FromMilliseconds(10)).Should().Be(before);

        cache.Count.Should().Be(0);
        (await _rsa.DecryptAsync(_keypair, ciphertext, RsaPadding.OaepSha1, Ct)).Should().Equal(secret);
    }

    [Fact]
    public async Task Generations_run_one_per_two_processors_and_a_caller_who_leaves_while_waiting_generates_nothing()
    {
        var turns = Math.Max(1, Environment.ProcessorCount / 2);
        using var protector = new HeldProtector(_services.Get<IKeyProtector>());
        var engine = Engine(protector, _services.Get<LocalKeyManager.Infrastructure.Persistence.DatabaseOutage>());

        var callers = Enumerable.Range(0, turns + 2).Select(_ => Task.Run(() => engine.GenerateAsync(KeypairId.New(), Ct), Ct)).ToList();
        await protector.WaitUntilEnteredAsync(turns, TimeSpan.FromSeconds(30));
        // The others have had the time of several generations to get past the gate, had there been none.
        (await protector.WaitUntilEnteredAsync(turns + 1, TimeSpan.FromSeconds(3))).Should().BeFalse("the gate holds the others back");

        using var leaving = new CancellationTokenSource();
        var left = engine.GenerateAsync(KeypairId.New(), leaving.Token);
        await leaving.CancelAsync();
        await left.Invoking(t => t).Should().ThrowAsync<OperationCanceledException>();

        protector.Release();
        var generated = await Task.WhenAll(callers);
        generated.Select(g => Convert.ToBase64String(g.PublicKey)).Distinct().Should().HaveCount(turns + 2);
        protector.Entered.Should().Be(turns + 2, "the caller who left never generated");
        protector.MostAtOnce.Should().Be(turns);
    }

    [Fact]
    public async Task Generations_give_up_when_a_request_fails_on_the_database_and_one_under_way_keeps_its_turn_until_it_ends()
    {
        using var protector = new HeldProtector(_services.Get<IKeyProtector>());
        var outage = _services.Get<LocalKeyManager.Infrastructure.Persistence.DatabaseOutage>();
        var engine = Engine(protector, outage);
        var turns = Math.Max(1, Environment.ProcessorCount / 2);
        var underWay = Enumerable.Range(0, turns).Select(_ => Task.Run(() => engine.GenerateAsync(KeypairId.New(), Ct), Ct)).ToList();
        (await protector.WaitUntilEnteredAsync(turns, TimeSpan.FromSeconds(30))).Should().BeTrue();
        var queued = Enumerable.Range(0, 3).Select(_ => engine.GenerateAsync(KeypairId.New(), Ct)).ToList();

        outage.Report();

        // Queued and under way alike answer at once, while the ones under way are still inside
        // (bounded, so that a generation that keeps waiting fails the test instead of hanging it).
        foreach (var given in queued.Concat(underWay))
        {
            await given.Invoking(t => t.WaitAsync(TimeSpan.FromSeconds(10), Ct)).Should().ThrowAsync<LocalKeyManager.Application.Errors.UnavailableException>().WithMessage("*Nothing was created*");
        }

        // A generation given up still holds its turn until it ends: no more run at once than the limit.
        var next = engine.GenerateAsync(KeypairId.New(), Ct);
        await Task.Delay(TimeSpan.FromMilliseconds(300), Ct);
        protector.Entered.Should().Be(turns, "the queued generations never ran, and the next one waits for a turn");
        next.IsCompleted.Should().BeFalse();

        protector.Release();
        (await next.WaitAsync(TimeSpan.FromSeconds(30), Ct)).PublicKey.Should().NotBeEmpty("a generation after the outage report waits as usual");
        protector.Entered.Should().Be(turns + 1);
        protector.MostAtOnce.Should().Be(turns);
    }

    private LocalKeyManager.Infrastructure.Crypto.RsaEngine Engine(IKeyProtector protector, LocalKeyManager.Infrastructure.Persistence.DatabaseOutage outage) =>
        new(protector, _services.Get<LocalKeyManager.Infrastructure.Crypto.PrivateKeyCache>(), _services.Get<LocalKeyManager.Infrastructure.Crypto.RsaWorkers>(), outage);

    /// <summary>Wraps with the real protector once released; counts who is inside at once.</summary>
    private sealed class HeldProtector(IKeyProtector inner) : IKeyProtector, IDisposable
    {
        private readonly ManualResetEventSlim _released = new();
        private int _inside;
        private int _entered;
        private int _mostAtOnce;

        public int Entered => Volatile.Read(ref _entered);

        public int MostAtOnce => Volatile.Read(ref _mostAtOnce);

        public string ActiveKekId => inner.ActiveKekId;

        public WrappedKey Wrap(ReadOnlySpan<byte> plaintext, string context)
        {
            Interlocked.Increment(ref _entered);
            var inside = Interlocked.Increment(ref _inside);
            InterlockedMax(ref _mostAtOnce, inside);
            try
            {
                _released.Wait(TimeSpan.FromSeconds(60));
                return inner.Wrap(plaintext, context);
            }
            finally
            {
                Interlocked.Decrement(ref _inside);
            }
        }

        public int Unwrap(WrappedKey wrapped, string context, Span<byte> destination) => inner.Unwrap(wrapped, context, destination);

        public int MaxPlaintextLength(WrappedKey wrapped) => inner.MaxPlaintextLength(wrapped);

        public void Release() => _released.Set();

        public async Task<bool> WaitUntilEnteredAsync(int count, TimeSpan within)
        {
            var until = Stopwatch.GetTimestamp() + (long)(within.TotalSeconds * Stopwatch.Frequency);
            while (Entered < count)
            {
                if (Stopwatch.GetTimestamp() > until)
                {
                    return false;
                }

                await Task.Delay(20, Ct);
            }

            return true;
        }

        public void Dispose()
        {
            _released.Set();
            _released.Dispose();
        }

        private static void InterlockedMax(ref int target, int value)
        {
            int seen;
            while ((seen = Volatile.Read(ref target)) < value && Interlocked.CompareExchange(ref target, value, seen) != seen)
            {
            }
        }
    }
}
