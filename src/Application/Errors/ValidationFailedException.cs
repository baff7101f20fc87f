namespace LocalKeyManager.Application.Errors;

/// <summary>The request is malformed; <see cref="Errors"/> names each offending field.</summary>
public sealed class ValidationFailedException : ApplicationErrorException
{
    public ValidationFailedException(IReadOnlyDictionary<string, string[]> errors)
        : base("Invalid request", string.Join(" ", errors.SelectMany(e => e.Value)))
    {
        Errors = errors;
    }

    public ValidationFailedException(string field, string message)
        : this(new Dictionary<string, string[]> { [field] = [message] })
    {
    }

    public IReadOnlyDictionary<string, string[]> Errors { get; }
}
