using System.Security.Cryptography;
using LocalKeyManager.Domain.Crypto;
using LocalKeyManager.Domain.Keys;
using Microsoft.Extensions.DependencyInjection;
using NodaTime;

namespace LocalKeyManager.Infrastructure.IntegrationTests;

/// <summary>A destroyed key leaves nothing of its wrapped private key in the SQLite files.</summary>
public sealed class SqliteErasureTests : IAsyncLifetime
{
    private TestServices _services = null!;

    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    public async ValueTask InitializeAsync() => _services = await TestServices.StartAsync();

    public async ValueTask DisposeAsync() => await _services.DisposeAsync();

    [Fact]
    public async Task Destruction_leaves_no_copy_of_the_wrapped_key_in_the_database_file_or_its_log()
    {
        await using var scope = _services.Scope();
        var keypairs = scope.ServiceProvider.GetRequiredService<IKeypairRepository>();
        var blob = RandomNumberGenerator.GetBytes(2_000);
        var keypair = Keypair.Create(KeypairId.New(), [1, 2, 3], new WrappedKey("local:v1", blob), _services.Clock.GetCurrentInstant());
        (await keypairs.TryAddAsync(keypair, Ct)).Should().BeTrue();
        keypair.ScheduleDestruction(_services.Clock.GetCurrentInstant(), 7);
        (await keypairs.TryUpdateLifecycleAsync(keypair, KeyState.Enabled, null, Ct)).Should().BeTrue();
        FilesContain(blob).Should().BeTrue("the key is still there before its destruction");

        var later = _services.Clock.GetCurrentInstant() + Duration.FromDays(7);
        var due = await keypairs.ListDueForDestructionAsync(later, Ct);
        var when = due.Should().ContainSingle().Subject.DestroyAt!.Value;
        due[0].DestroyIfDue(later).Should().BeTrue();
        (await keypairs.TryDestroyAsync(due[0], when, PersistenceTests.Entry(later) with { RequestMethod = "DESTROY" }, Ct)).Should().BeTrue();

        FilesContain(blob).Should().BeFalse("neither free pages of lkm.db nor frames of its write-ahead log may keep the erased key");
        (await keypairs.FindAsync(keypair.Id, Ct))!.PublicKey.Should().Equal(1, 2, 3);
    }

    private bool FilesContain(byte[] blob)
    {
        // Any 64-byte piece of it: a page boundary may split the blob.
        return Directory.EnumerateFiles(_services.Directory, "lkm.db*").Any(path =>
        {
            using var stream = new FileStream(path, FileMode.Open, FileAccess.Read, FileShare.ReadWrite | FileShare.Delete);
            using var copy = new MemoryStream();
            stream.CopyTo(copy);
            var bytes = copy.ToArray();
            return Enumerable.Range(0, blob.Length / 64).Any(i => bytes.AsSpan().IndexOf(blob.AsSpan(i * 64, 64)) >= 0);
        });
    }
}
