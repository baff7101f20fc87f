using System.Globalization;
using System.Text.Json;
using LocalKeyManager.Application;
using LocalKeyManager.Application.Errors;
using LocalKeyManager.Infrastructure;
using Mediator;

namespace LocalKeyManager.Api.Cli;

/// <summary>
/// The services without the web server, for one command. Logs go to stderr so that stdout
/// carries only the command's answer (scripts parse it).
/// </summary>
public static class CommandHost
{
    /// <summary>As the HTTP answers are written (MVC's relaxed escaping: a base64 '+' stays '+').</summary>
    public static readonly JsonSerializerOptions Json = new(JsonSerializerDefaults.Web) { Encoder = System.Text.Encodings.Web.JavaScriptEncoder.UnsafeRelaxedJsonEscaping };

    /// <summary>
    /// Builds the services and, with <paramref name="initialize"/>, runs the start-up checks. Only
    /// a command that sets an installation up (<paramref name="mayCreate"/>: migrate, credentials
    /// create, keys import, keys restore-backup) may create the embedded database and its master
    /// key file; any other refuses a database file that is not there, so a mistyped path is an
    /// error rather than a fresh, empty installation.
    /// </summary>
    public static async Task<IHost> StartAsync(string[] configurationArgs, bool initialize = true, bool mayCreate = false)
    {
        var builder = Host.CreateApplicationBuilder(new HostApplicationBuilderSettings
        {
            Args = configurationArgs,
            ContentRootPath = AppContext.BaseDirectory,
        });
        builder.Logging.ClearProviders();
        builder.Logging.AddFilter(static level => level >= LogLevel.Warning);
        // A database failure is reported once, by the command line, not also by EF Core's own log line.
        builder.Logging.AddFilter("Microsoft.EntityFrameworkCore", LogLevel.None);
        builder.Logging.AddProvider(new CommandLog());
        builder.Services.AddKeyManagerCore(builder.Configuration);
        builder.Services.AddServiceSettings(builder.Configuration);
        builder.Services.AddSingleton(new Infrastructure.Crypto.KeyProtection.KeyFileCreation(mayCreate));
        var host = builder.Build();
        try
        {
            // Every value is checked as serve checks it, before a database or key file is made.
            DependencyInjection.CheckSettings(host.Services);
        }
        catch
        {
            host.Dispose();
            throw;
        }

        if (!mayCreate && host.Services.GetRequiredService<Infrastructure.Persistence.IDatabaseLocation>().MissingFile is { } missing)
        {
            host.Dispose();
            throw new InvalidOperationException(
                $"There is no database at {missing}, and this command does not create one: check ConnectionStrings:KeyManager and the working directory " +
                "('lkm serve', 'lkm migrate', 'lkm credentials create', 'lkm keys import' or 'lkm keys restore-backup' sets up a new installation).");
        }

        if (initialize)
        {
            await host.Services.GetRequiredService<StartupInitializer>().InitializeAsync(CancellationToken.None);
        }

        return host;
    }

    /// <summary>
    /// Starts the services (<see cref="StartAsync"/>), runs <paramref name="run"/> with the mediator and prints its answer as
    /// JSON on stdout; an application refusal (unknown id, conflict, invalid input) is exit code 1
    /// with its message on stderr.
    /// </summary>
    /// <param name="setsUp">
    /// For a command that may set up a new installation: its input, checked by the same validators
    /// as the mediator's pipeline before anything is created, so a refused command leaves no
    /// database or master key file behind. Null for a command that needs an installation.
    /// </param>
    /// <param name="unprinted">
    /// For an answer shown only once (a new credential's key): what it is, and how to take back
    /// what <paramref name="run"/> made when the answer cannot be printed (stdout closed or its
    /// disk full), so nothing usable is left that nobody has seen.
    /// </param>
    /// <param name="recorded">
    /// For a command that changes the installation: from its answer, what its request-log entry
    /// says (<see cref="CommandAudit"/>), written before the answer is printed. Null: nothing
    /// recorded (a listing).
    /// </param>
    public static async Task<int> PrintAsync<TMessage, TResponse>(
        string[] configurationArgs, Func<ISender, Task<object>> run, TMessage? setsUp, Unprinted? unprinted = null, Func<object, Recorded?>? recorded = null)
        where TMessage : class, IMessage
    {
        try
        {
            if (setsUp is not null)
            {
                await using var validators = new ServiceCollection().AddApplication().AddSingleton<NodaTime.IClock>(NodaTime.SystemClock.Instance).BuildServiceProvider();
                await new Application.Behaviors.ValidationBehavior<TMessage, TResponse>(validators.GetServices<FluentValidation.IValidator<TMessage>>())
                    .Handle(setsUp, static (_, _) => default, CancellationToken.None);
            }

            using var host = await StartAsync(configurationArgs, mayCreate: setsUp is not null);
            await using var scope = host.Services.CreateAsyncScope();
            var result = await run(scope.ServiceProvider.GetRequiredService<ISender>());
            var entry = recorded?.Invoke(result);
            if (entry is not null)
            {
                try
                {
                    await CommandAudit.RecordAsync(scope.ServiceProvider, entry.Command, entry.Detail, entry.KeypairId);
                }
                catch (Exception e) when (unprinted is not null)
                {
                    // Not recorded: taken back, as when it cannot be printed (nothing is left that the log does not name).
                    return CommandLine.Fail($"could not record {unprinted.What} in the request log ({e.Message.TrimEnd('.')}); {await UndoAsync(unprinted, scope.ServiceProvider)}", 1);
                }
            }

            try
            {
                PrintAnswer(JsonSerializer.Serialize(result, Json), entry is null ? null : $"It was done all the same and is in the request log: {entry.Detail}");
            }
            catch (AnswerNotPrintedException e) when (unprinted is not null)
            {
                return CommandLine.Fail($"could not print {unprinted.What} ({e.Why}); {await UndoAsync(unprinted, scope.ServiceProvider)}", 1);
            }

            return 0;
        }
        catch (ApplicationErrorException e)
        {
            return CommandLine.Fail(e.Message, 1);
        }
    }

    /// <summary>
    /// Prints a command's answer on stdout (<paramref name="newLine"/>: followed by a line end). A
    /// stdout that cannot be written fails the command (<see cref="AnswerNotPrintedException"/>),
    /// but by then the command has done its work: <paramref name="done"/> says what, null for a
    /// command that changed nothing.
    /// </summary>
    public static void PrintAnswer(string answer, string? done, bool newLine = true)
    {
        try
        {
            Console.Out.Write(newLine ? answer + Environment.NewLine : answer);
            Console.Out.Flush();
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            // A closed stdout (>&-) reads "Access to the path is denied".
            throw new AnswerNotPrintedException(e is UnauthorizedAccessException ? "stdout is closed or cannot be written" : e.Message.TrimEnd('.'), done);
        }
    }

    /// <summary>
    /// An answer shown only once (<see cref="PrintAsync"/>): <paramref name="What"/> names it
    /// ("the new credential"); <paramref name="Undo"/> takes back what the command made and says
    /// what it did; <paramref name="ByHand"/> says what to do should that fail too.
    /// </summary>
    public sealed record Unprinted(string What, Func<IServiceProvider, Task<string>> Undo, string ByHand);

    /// <summary>What a command's request-log entry says (<see cref="CommandAudit"/>).</summary>
    public sealed record Recorded(string Command, string Detail, string? KeypairId = null);

    private static async Task<string> UndoAsync(Unprinted unprinted, IServiceProvider services)
    {
        try
        {
            return await unprinted.Undo(services);
        }
        catch (Exception undoFailed)
        {
            return $"taking it back failed too ({undoFailed.Message}): {unprinted.ByHand}";
        }
    }

    /// <summary>
    /// Reads <c>--name value</c> (or <c>--name=value</c>) options; the rest must be configuration
    /// settings (<see cref="ConfigurationArguments"/>), or it is a usage error.
    /// </summary>
    public static (Dictionary<string, string> Options, string[] Remaining) Split(string[] args, params string[] names) =>
        Split(args, [], names);

    /// <summary>As <see cref="Split(string[], string[])"/>, where each of <paramref name="flags"/> takes no value (present: "true").</summary>
    public static (Dictionary<string, string> Options, string[] Remaining) Split(string[] args, IReadOnlyCollection<string> flags, params string[] names)
    {
        var options = new Dictionary<string, string>(StringComparer.Ordinal);
        var rest = new List<string>();
        for (var i = 0; i < args.Length; i++)
        {
            var arg = args[i];
            if (arg.StartsWith("--", StringComparison.Ordinal) && flags.Contains(arg[2..]))
            {
                Set(options, arg[2..], "true");
                continue;
            }

            var name = names.FirstOrDefault(n => arg == "--" + n || arg.StartsWith("--" + n + "=", StringComparison.Ordinal));
            if (name is null)
            {
                rest.Add(arg);
                continue;
            }

            if (arg.Length > name.Length + 2)
            {
                Set(options, name, arg[(name.Length + 3)..]);
            }
            else if (i + 1 < args.Length)
            {
                Set(options, name, args[++i]);
            }
            else
            {
                throw new UsageException($"--{name} needs a value.");
            }
        }

        ConfigurationArguments.Check(rest);
        return (options, rest.ToArray());
    }

    /// <summary>
    /// A key, PEM or passphrase file the operator names: read whole, but at most 64 KiB (as an
    /// HTTP body), so that a wrong path (a device, a disk image) is a clear refusal, not gigabytes
    /// of memory and then a runtime error.
    /// </summary>
    public static async Task<string> ReadSmallTextFileAsync(string path, string what) =>
        await ReadSmallFileAsync(path, what, static bytes => Text(bytes));

    /// <summary>A small file's bytes as text: UTF-8, a byte-order mark dropped, bad bytes replaced.</summary>
    public static string Text(ReadOnlySpan<byte> bytes) =>
        new System.Text.UTF8Encoding(encoderShouldEmitUTF8Identifier: false, throwOnInvalidBytes: false).GetString(bytes).TrimStart('\uFEFF');

    /// <summary>
    /// <paramref name="read"/> of the file's bytes (at most 64 KiB, else an <see cref="IOException"/>
    /// naming <paramref name="what"/> it is not); the bytes are zeroed afterwards.
    /// </summary>
    public static async Task<T> ReadSmallFileAsync<T>(string path, string what, Func<ReadOnlySpan<byte>, T> read)
    {
        const int MaxBytes = Http.RequestLimits.MaxBodyBytes;
        await using var stream = new FileStream(path, FileMode.Open, FileAccess.Read, FileShare.Read, 4096, FileOptions.SequentialScan);
        var buffer = new byte[MaxBytes + 1];
        var length = 0;
        int count;
        while (length < buffer.Length && (count = await stream.ReadAsync(buffer.AsMemory(length))) > 0)
        {
            length += count;
        }

        try
        {
            if (length > MaxBytes)
            {
                throw new IOException($"{path} is larger than 64 KiB: not {what}.");
            }

            return read(buffer.AsSpan(0, length));
        }
        finally
        {
            System.Security.Cryptography.CryptographicOperations.ZeroMemory(buffer);
        }
    }

    /// <summary>
    /// The option's value as a whole number from <paramref name="min"/> to <paramref name="max"/>
    /// (digits only), null when it is absent; anything else is a usage error saying <paramref name="usage"/>.
    /// </summary>
    public static long? WholeNumber(Dictionary<string, string> options, string name, long min, long max, string usage) =>
        !options.TryGetValue(name, out var text) ? null
        : long.TryParse(text, NumberStyles.None, CultureInfo.InvariantCulture, out var n) && n >= min && n <= max ? n
        : throw new UsageException(usage);

    /// <summary>
    /// An option given twice is a usage error, not "the last one wins": <c>credentials revoke --id a
    /// --id b</c> must not quietly revoke only b.
    /// </summary>
    private static void Set(Dictionary<string, string> options, string name, string value)
    {
        if (!options.TryAdd(name, value))
        {
            throw new UsageException($"--{name} is given more than once.");
        }
    }
}
