using Microsoft.Extensions.Logging;

namespace LocalKeyManager.Infrastructure.Crypto.KeyProtection;

/// <summary>
/// The loaded master key ring. Start-up loads it once (see <see cref="MasterKeyInitializer"/>)
/// before anything wraps or unwraps; using it earlier is a programming error. When the ring came
/// from a key file, a version this instance does not know yet (another instance, or
/// <c>master-key rotate</c>, added it) makes it read the file again, and the file is re-read
/// anyway when it changes, at most every few seconds: rotation needs no restart.
/// </summary>
public sealed partial class MasterKeyHolder(ILogger<MasterKeyHolder>? logger = null)
{
    /// <summary>How long an instance may go on wrapping under the version it had after a rotation made another active.</summary>
    internal static readonly TimeSpan RecheckEvery = TimeSpan.FromSeconds(5);

    private readonly Lock _lock = new();
    private MasterKeyRing? _ring;
    private string? _path;
    private DateTime _fileWrittenAt;
    private long _nextCheck;
    /// <summary>When the file that could not be read, or was not this installation's, was written: it is not read (or reported) again until it changes.</summary>
    private DateTime? _refusedWrittenAt;

    public MasterKeyRing Ring
    {
        get
        {
            var ring = _ring ?? throw new InvalidOperationException("The master key has not been loaded; start-up did not run.");
            if (_path is not null && Environment.TickCount64 >= Interlocked.Read(ref _nextCheck))
            {
                ReloadIfChanged();
            }

            return _ring ?? ring;
        }
    }

    public bool IsLoaded => _ring is not null;

    /// <summary>The key file the ring came from, or null when it came from configuration.</summary>
    public string? KeyFile => _path;

    public void Load(MasterKeyRing ring) => _ring = ring;

    public void LoadFile(string path)
    {
        lock (_lock)
        {
            _ring = MasterKeyRing.ReadFile(path);
            _path = path;
            _fileWrittenAt = File.GetLastWriteTimeUtc(path);
            Interlocked.Exchange(ref _nextCheck, Environment.TickCount64 + (long)RecheckEvery.TotalMilliseconds);
        }
    }

    /// <summary>Reads the key file again if it now holds <paramref name="version"/>; true when the ring has it.</summary>
    public bool TryLearn(int version)
    {
        if (_ring?.TryGet(version, out _) == true)
        {
            return true;
        }

        if (_path is null)
        {
            return false;
        }

        lock (_lock)
        {
            var writtenAt = File.GetLastWriteTimeUtc(_path);
            var ring = MasterKeyRing.ReadFile(_path);
            if (!ring.TryGet(version, out _) || IsNotThisInstallations(ring, writtenAt))
            {
                return false;
            }

            _ring = ring;
            _fileWrittenAt = writtenAt;
            return true;
        }
    }

    private void ReloadIfChanged()
    {
        lock (_lock)
        {
            Interlocked.Exchange(ref _nextCheck, Environment.TickCount64 + (long)RecheckEvery.TotalMilliseconds);
            try
            {
                var writtenAt = File.GetLastWriteTimeUtc(_path!);
                if (writtenAt != _fileWrittenAt && writtenAt != _refusedWrittenAt)
                {
                    try
                    {
                        var ring = MasterKeyRing.ReadFile(_path!);
                        if (!IsNotThisInstallations(ring, writtenAt))
                        {
                            _ring = ring;
                            _fileWrittenAt = writtenAt;
                            _refusedWrittenAt = null;
                        }
                    }
                    catch (Exception e) when (e is IOException or MasterKeyException or UnauthorizedAccessException)
                    {
                        // Keep the ring we have: a half-written or unreadable file must not stop
                        // decrypts. But say so once for this version of the file: the next start
                        // of any instance with the file as it is would fail.
                        _refusedWrittenAt = writtenAt;
                        if (logger is not null)
                        {
                            LogUnreadable(logger, _path!, e is MasterKeyException ? e.Message : e.GetType().Name);
                        }
                    }
                }
            }
            catch (Exception e) when (e is IOException or UnauthorizedAccessException)
            {
                // The file's time could not be read: try again at the next check.
            }
        }
    }

    /// <summary>
    /// True (and reported once for this version of the file) when the file read again gives a
    /// version this instance holds a different key: it is kept out, and the ring we have stays.
    /// Adopting it would make every key wrapped under that version unreadable here at once.
    /// </summary>
    private bool IsNotThisInstallations(MasterKeyRing read, DateTime writtenAt)
    {
        if (_ring?.VersionChangedIn(read) is not { } version)
        {
            return false;
        }

        if (_refusedWrittenAt != writtenAt)
        {
            _refusedWrittenAt = writtenAt;
            if (logger is not null)
            {
                LogNotThisInstallations(logger, _path!, version);
            }
        }

        return true;
    }

    [LoggerMessage(Level = LogLevel.Error, Message = "The master key file {Path} changed, and its master key version {Version} is not the key this instance holds under that version: it is another installation's key file or a damaged copy (rotation adds versions and retirement removes them; neither changes one). This instance goes on with the master keys it had; an instance started with the file as it is now cannot unwrap the keys stored under that version and refuses to start. Restore the file from its backup")]
    private static partial void LogNotThisInstallations(ILogger logger, string path, int version);

    [LoggerMessage(Level = LogLevel.Error, Message = "The master key file {Path} changed and cannot be read ({Reason}). This instance goes on with the master keys it had; an instance started with the file as it is now will refuse to start. Restore the file from its backup")]
    private static partial void LogUnreadable(ILogger logger, string path, string reason);
}
