namespace LocalKeyManager.Infrastructure.Crypto.KeyProtection;

/// <summary>The master key is missing, malformed or wrong: the service must not start.</summary>
public sealed class MasterKeyException : Exception
{
    public MasterKeyException(string message)
        : base(message)
    {
    }

    public MasterKeyException(string message, Exception innerException)
        : base(message, innerException)
    {
    }

    public MasterKeyException()
    {
    }
}
