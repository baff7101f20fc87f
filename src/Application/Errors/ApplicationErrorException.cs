namespace LocalKeyManager.Application.Errors;

/// <summary>
/// A refusal the caller can act on. Messages are written for the caller and never contain
/// secrets or echoed input; the API maps each subtype to one HTTP status.
/// </summary>
public abstract class ApplicationErrorException : Exception
{
    protected ApplicationErrorException(string title, string detail)
        : base(detail)
    {
        Title = title;
    }

    public string Title { get; }
}
