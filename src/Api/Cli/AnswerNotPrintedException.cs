namespace LocalKeyManager.Api.Cli;

/// <summary>
/// A command's answer could not be printed on stdout (closed, or its disk full) after the command
/// had done its work: the failure's one line says why and what is done all the same, so an
/// operator neither repeats a change that was made nor trusts one that was not.
/// </summary>
public sealed class AnswerNotPrintedException : Exception
{
    public AnswerNotPrintedException(string why, string? done)
        : base($"Could not print the answer ({why}). {done ?? "Nothing was changed."}")
    {
        Why = why;
    }

    public AnswerNotPrintedException(string message, Exception innerException)
        : base(message, innerException)
    {
    }

    public AnswerNotPrintedException()
    {
    }

    /// <summary>Why stdout could not be written ("stdout is closed or cannot be written", "No space left on device").</summary>
    public string Why { get; } = string.Empty;
}
