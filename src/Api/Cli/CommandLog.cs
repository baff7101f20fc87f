using System.Collections.Concurrent;

namespace LocalKeyManager.Api.Cli;

/// <summary>
/// The command line's log (warnings and errors only, and a command's notes). Held until the command ends: on success
/// the lines go to stderr as they were logged; on failure they are folded into the one
/// <c>lkm: ...</c> line (API.md 5: one clear line on stderr), so a warning given on the way, such
/// as a master key file just created, is neither lost nor a second line.
/// </summary>
public sealed class CommandLog : ILoggerProvider
{
    private static readonly ConcurrentQueue<string> Held = new();

    /// <summary>
    /// Holds a line a command says on the way (a master key version made active), as a warning is
    /// held: on stderr after the answer on success, in the failure's one line otherwise.
    /// </summary>
    public static void Note(string text) => Held.Enqueue($"note: {text.ReplaceLineEndings(" ")}");

    /// <summary>Writes what is held to stderr, one line each.</summary>
    public static void Flush()
    {
        while (Held.TryDequeue(out var line))
        {
            Console.Error.WriteLine(line);
        }
    }

    /// <summary>What is held, as one line (null when nothing is), and forgets it.</summary>
    public static string? Drain()
    {
        var lines = new List<string>();
        while (Held.TryDequeue(out var line))
        {
            lines.Add(line);
        }

        return lines.Count == 0 ? null : string.Join(" | ", lines);
    }

    public ILogger CreateLogger(string categoryName) => new Logger();

    public void Dispose()
    {
    }

    private sealed class Logger : ILogger
    {
        public IDisposable? BeginScope<TState>(TState state)
            where TState : notnull => null;

        public bool IsEnabled(LogLevel logLevel) => logLevel >= LogLevel.Warning;

        public void Log<TState>(LogLevel logLevel, EventId eventId, TState state, Exception? exception, Func<TState, Exception?, string> formatter)
        {
            if (!IsEnabled(logLevel))
            {
                return;
            }

            var level = logLevel == LogLevel.Warning ? "warn" : logLevel == LogLevel.Error ? "fail" : "crit";
            var text = formatter(state, exception);
            if (exception is not null && !text.Contains(exception.Message, StringComparison.Ordinal))
            {
                // The message only: no stack trace, as everywhere on the command line.
                text += " " + exception.Message;
            }

            Held.Enqueue($"{level}: {text.ReplaceLineEndings(" ")}");
        }
    }
}
