namespace LocalKeyManager.Domain.Crypto;

/// <summary>A wrapped key could not be unwrapped. The message never contains key material.</summary>
public sealed class KeyUnwrapException : Exception
{
    public KeyUnwrapException(string message)
        : base(message)
    {
    }

    public KeyUnwrapException(string message, Exception innerException)
        : base(message, innerException)
    {
    }

    public KeyUnwrapException()
    {
    }
}
