namespace LocalKeyManager.Domain.Keys;

/// <summary>A lifecycle change that the keypair's current state does not allow.</summary>
public sealed class KeyStateException : Exception
{
    public KeyStateException(string message)
        : base(message)
    {
    }

    public KeyStateException(string message, Exception innerException)
        : base(message, innerException)
    {
    }

    public KeyStateException()
    {
    }
}
