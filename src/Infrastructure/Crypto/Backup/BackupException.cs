namespace LocalKeyManager.Infrastructure.Crypto.Backup;

/// <summary>A backup cannot be written, opened or trusted; the message says why, never with key material.</summary>
public sealed class BackupException : Exception
{
    public BackupException(string message)
        : base(message)
    {
    }

    public BackupException(string message, Exception innerException)
        : base(message, innerException)
    {
    }

    public BackupException()
    {
    }
}
