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
}
