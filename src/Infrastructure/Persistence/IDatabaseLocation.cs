namespace LocalKeyManager.Infrastructure.Persistence;

/// <summary>Where the embedded database keeps its files (the master key file goes beside it).</summary>
public interface IDatabaseLocation
{
    string DataDirectory { get; }

    /// <summary>
    /// Before the database is first opened (<see cref="DatabaseInitializer"/> calls it): an embedded database file that does not exist yet is
    /// created empty and readable by the service's user only (it holds the wrapped keys and the
    /// request log; SQLite gives its log files the same permissions).
    /// </summary>
    void CreateOwnerOnlyIfMissing()
    {
    }

    /// <summary>
    /// The embedded database file when it does not exist yet (null for a server database, or once
    /// it exists): commands that only read or change an installation refuse to start a new one.
    /// </summary>
    string? MissingFile => null;

    /// <summary>
    /// The embedded database file and its mode (octal) when users other than the service's may
    /// read or write it; null when only its owner may, and for a server database.
    /// </summary>
    (string File, string Mode)? OpenToOthers => null;
}
