using Microsoft.Data.Sqlite;

namespace LocalKeyManager.Infrastructure.Persistence.Sqlite;

/// <summary>The SQLite file, made absolute against the working directory, and the folder it is in.</summary>
internal sealed class SqliteLocation : IDatabaseLocation
{
    private SqliteLocation(string connectionString, string dataDirectory)
    {
        ConnectionString = connectionString;
        DataDirectory = dataDirectory;
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
        return new SqliteLocation(builder.ToString(), Path.GetDirectoryName(builder.DataSource)!);
    }
}
