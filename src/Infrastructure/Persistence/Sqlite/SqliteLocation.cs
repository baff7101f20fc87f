using Microsoft.Data.Sqlite;

namespace LocalKeyManager.Infrastructure.Persistence.Sqlite;

/// <summary>The SQLite file, made absolute against the working directory, and the folder it is in.</summary>
internal sealed class SqliteLocation : IDatabaseLocation
{
    private readonly string _file;
    private readonly bool _mayCreate;

    private SqliteLocation(string connectionString, string dataDirectory, string file, bool mayCreate)
    {
        ConnectionString = connectionString;
        DataDirectory = dataDirectory;
        _file = file;
        _mayCreate = mayCreate;
    }

    public string ConnectionString { get; }

    public string DataDirectory { get; }

    public static SqliteLocation FromConnectionString(string connectionString)
    {
        var builder = new SqliteConnectionStringBuilder(connectionString);
        if (string.IsNullOrWhiteSpace(builder.DataSource) || builder.DataSource == ":memory:" || builder.Mode == SqliteOpenMode.Memory)
        {
            throw new InvalidOperationException("ConnectionStrings:KeyManager must name a SQLite database file: an in-memory database loses every key.");
        }

        builder.DataSource = Path.GetFullPath(builder.DataSource);
        return new SqliteLocation(builder.ToString(), Path.GetDirectoryName(builder.DataSource)!, builder.DataSource, builder.Mode == SqliteOpenMode.ReadWriteCreate);
    }

    public string? MissingFile => File.Exists(_file) ? null : _file;

    public (string File, string Mode)? OpenToOthers =>
        Platform.FileModes.OpenToOthers(_file) is { } mode ? (_file, mode) : null;

    public void CreateOwnerOnlyIfMissing()
    {
        // A missing folder stays an error (SQLite's own, at open): a mistyped or unmounted path
        // must not start an empty installation.
        if (OperatingSystem.IsWindows() || !_mayCreate || File.Exists(_file) || !Directory.Exists(DataDirectory))
        {
            return;
        }

        try
        {
            // SQLite takes an empty file for a new database.
            using var created = new FileStream(_file, new FileStreamOptions { Mode = FileMode.CreateNew, Access = FileAccess.Write, UnixCreateMode = UnixFileMode.UserRead | UnixFileMode.UserWrite });
        }
        catch (IOException) when (File.Exists(_file))
        {
            // Another process (an instance starting beside a command) created it first.
        }
    }
}
