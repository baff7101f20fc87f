using LocalKeyManager.Application.Keys.GenerateKeypair;
using LocalKeyManager.Domain.Crypto;
using LocalKeyManager.Domain.Keys;
using LocalKeyManager.Infrastructure.Crypto.Backup;
using Microsoft.Extensions.DependencyInjection;

namespace LocalKeyManager.Infrastructure.IntegrationTests;

public sealed class KeyBackupExportTests
{
    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    private static readonly BackupSecret Secret = BackupSecret.FromPassphrase("correct horse battery staple");

    [Fact]
    public async Task A_write_that_fails_part_way_leaves_no_file_and_the_name_stays_free_for_a_retry()
    {
        await using var instance = await WithOneKeypairAsync();
        var folder = System.IO.Directory.CreateTempSubdirectory("lkm-export-").FullName;
        try
        {
            var path = Path.Combine(folder, "keys.lkmbackup");

            // As a full disk does: the first bytes are written, then the write fails.
            var failing = () => instance.Get<KeyBackup>().ExportAsync(path, Secret, stream => new FullAfter(stream, 100), Ct);

            (await failing.Should().ThrowAsync<IOException>()).WithMessage("No space left on device");
            System.IO.Directory.EnumerateFileSystemEntries(folder).Should().BeEmpty("neither a truncated backup nor the temporary file stays");
            (await instance.Get<KeyBackup>().ExportAsync(path, Secret, Ct)).Should().Be(1, "the name is still free");
            (await KeyBackup.VerifyAsync(path, Secret, Ct)).Should().Be(1);
            System.IO.Directory.EnumerateFileSystemEntries(folder).Should().Equal(path);
        }
        finally
        {
            System.IO.Directory.Delete(folder, recursive: true);
        }
    }

    [Fact]
    public async Task An_existing_file_is_never_overwritten_and_the_refusal_says_so()
    {
        await using var instance = await WithOneKeypairAsync();
        var folder = System.IO.Directory.CreateTempSubdirectory("lkm-export-").FullName;
        try
        {
            var path = Path.Combine(folder, "keys.lkmbackup");
            await File.WriteAllTextAsync(path, "someone else's", Ct);

            var export = () => instance.Get<KeyBackup>().ExportAsync(path, Secret, Ct);

            (await export.Should().ThrowAsync<BackupException>()).WithMessage("*already exists: an existing file is never overwritten*");
            (await File.ReadAllTextAsync(path, Ct)).Should().Be("someone else's");
            System.IO.Directory.EnumerateFileSystemEntries(folder).Should().Equal(path);
        }
        finally
        {
            System.IO.Directory.Delete(folder, recursive: true);
        }
    }

    private static async Task<TestServices> WithOneKeypairAsync()
    {
        var instance = await TestServices.StartAsync();
        await using var scope = instance.Scope();
        await new GenerateKeypairHandler(instance.Get<IRsaEngine>(), scope.ServiceProvider.GetRequiredService<IKeypairRepository>(), instance.Clock).Handle(new GenerateKeypair(), Ct);
        return instance;
    }

    /// <summary>Passes <paramref name="room"/> bytes on, then fails every write as a full disk does.</summary>
    private sealed class FullAfter(Stream inner, int room) : Stream
    {
        private int _room = room;

        public override bool CanRead => false;

        public override bool CanSeek => false;

        public override bool CanWrite => true;

        public override long Length => throw new NotSupportedException();

        public override long Position { get => throw new NotSupportedException(); set => throw new NotSupportedException(); }

        public override void Flush() => inner.Flush();

        public override int Read(byte[] buffer, int offset, int count) => throw new NotSupportedException();

        public override long Seek(long offset, SeekOrigin origin) => throw new NotSupportedException();

        public override void SetLength(long value) => throw new NotSupportedException();

        public override void Write(byte[] buffer, int offset, int count) => Write(buffer.AsSpan(offset, count));

        public override void Write(ReadOnlySpan<byte> buffer)
        {
            var part = Math.Min(_room, buffer.Length);
            inner.Write(buffer[..part]);
            _room -= part;
            if (part < buffer.Length)
            {
                inner.Flush();
                throw new IOException("No space left on device");
            }
        }

        public override ValueTask WriteAsync(ReadOnlyMemory<byte> buffer, CancellationToken cancellationToken = default)
        {
            Write(buffer.Span);
            return ValueTask.CompletedTask;
        }

        public override Task WriteAsync(byte[] buffer, int offset, int count, CancellationToken cancellationToken)
        {
            Write(buffer.AsSpan(offset, count));
            return Task.CompletedTask;
        }
    }
}
