namespace LocalKeyManager.Infrastructure.Persistence;

/// <summary>The schema is older than this build and migrating at start-up is off.</summary>
public sealed class SchemaBehindException : Exception
{
    public SchemaBehindException(string message)
        : base(message)
    {
    }

    public SchemaBehindException(string message, Exception innerException)
        : base(message, innerException)
    {
    }

    public SchemaBehindException()
    {
    }
}
