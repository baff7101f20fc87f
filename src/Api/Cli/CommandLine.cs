using LocalKeyManager.Infrastructure.Crypto.KeyProtection;
using LocalKeyManager.Infrastructure.Persistence;
using Microsoft.Extensions.Options;

namespace LocalKeyManager.Api.Cli;

/// <summary>
/// Dispatches the command line. Exit code 0 on success; otherwise non-zero with one clear line
/// on stderr. Besides a command's own options, only configuration settings are accepted (see
/// <see cref="ConfigurationArguments"/>); a mistyped option is a usage error, never ignored.
/// </summary>
public static class CommandLine
{
    /// <summary>Each command's usage, as <c>--help</c> after it prints it.</summary>
    private static readonly string[] Commands =
    [
        "[serve] [--urls URL]",
        "migrate",
        "credentials create --id ID [--role admin|genesys] [--algorithm sha256|sha1]",
        "credentials list",
        "credentials revoke --id ID",
        "keys list",
        "keys import --file FILE [--id ID] [--date-created MS]",
        "keys export-backup --out FILE (with --passphrase-env VAR, --passphrase-file F or --recipient PUB.pem)",
        "keys verify-backup --in FILE (with --passphrase-env VAR, --passphrase-file F or --private-key KEY.pem)",
        "keys restore-backup --in FILE (with --passphrase-env VAR, --passphrase-file F or --private-key KEY.pem)",
        "master-key rotate [--batch N] [--resume] [--progress]",
        "master-key status",
        "master-key retire --version N",
        "audit verify",
        "schema-script --provider sqlite|postgres|sqlserver [--out FILE]",
    ];

    public static readonly string Usage = "usage: lkm " + string.Join(" | ", Commands);

    public static async Task<int> RunAsync(string[] args)
    {
        try
        {
            return await RunCommandAsync(args);
        }
        finally
        {
            // Success: the warnings held on the way (CommandLog); a failure folded them into its line.
            CommandLog.Flush();
        }
    }

    private static async Task<int> RunCommandAsync(string[] args)
    {
        try
        {
            if (args.Any(static a => a is "--help" or "-h") && (args[0].StartsWith('-') || IsCommand(args[0])))
            {
                // After a command too (credentials create --help): that command's usage, not an unknown option.
                return Help(args);
            }

            if (args.Length == 0 || args[0].StartsWith('-'))
            {
                return await ServeAsync(args);
            }

            var rest = args[1..];
            return args[0] switch
            {
                "serve" => await ServeAsync(rest),
                "migrate" => await MigrateCommand.RunAsync(rest),
                "credentials" => await CredentialsCommand.RunAsync(rest),
                "keys" => await KeysCommand.RunAsync(rest),
                "master-key" => await MasterKeyCommand.RunAsync(rest),
                "audit" => await AuditCommand.RunAsync(rest),
                "schema-script" => await SchemaScriptCommand.RunAsync(rest),
                "help" => Help([]),
                _ => Fail($"Unknown command '{args[0]}'. {Usage}", 2),
            };
        }
        catch (UsageException e)
        {
            return Fail($"{e.Message} {Usage}", 2);
        }
        catch (AnswerNotPrintedException e)
        {
            return Fail(e.Message, 1);
        }
        catch (Exception e) when (DatabaseFailure(e) is { } failure)
        {
            // Npgsql's, SQL Server's and SQLite's failures alike, also when EF Core's retrying
            // strategy wraps them: one line, not an abort with a trace.
            return Fail($"The database could not be used: {failure.Message}{MissingRightHint(failure)}{WhatNow(e)}", 1);
        }
        catch (Exception e) when (IsStartupRefusal(e))
        {
            return Fail((e is OptionsValidationException invalid ? SettingsMessage(invalid) : e.Message) + WhatNow(e), 1);
        }
        catch (Exception e) when (args is [var command, ..] && !command.StartsWith('-') && command != "serve")
        {
            // A command the code did not foresee failing this way: still one line and exit code 1,
            // never an abort with a trace (no exception message here carries key material).
            return Fail($"The command failed unexpectedly ({e.GetType().Name}): {e.Message}{WhatNow(e)}", 1);
        }
    }

    /// <summary>
    /// Where a command that failed half-way says what to do next (<see cref="Exception.Data"/>
    /// under this key), the failure's line ends with it.
    /// </summary>
    public const string WhatNowKey = "lkm-what-now";

    private static string WhatNow(Exception e) => e.Data[WhatNowKey] is string next ? $" {next}" : string.Empty;

    /// <summary>
    /// Writes one line to stderr and returns the exit code. Warnings logged on the way
    /// (<see cref="CommandLog"/>) are in that line, after the message.
    /// </summary>
    public static int Fail(string message, int exitCode)
    {
        var held = CommandLog.Drain();
        Console.Error.WriteLine($"lkm: {message.ReplaceLineEndings(" ")}{(held is null ? string.Empty : $" (logged before: {held})")}");
        return exitCode;
    }

    private static async Task<int> ServeAsync(string[] args)
    {
        // A test host (WebApplicationFactory) calls Main with its whole configuration as arguments;
        // the check is for people typing a command line.
        if (System.Reflection.Assembly.GetEntryAssembly() == typeof(CommandLine).Assembly)
        {
            ConfigurationArguments.Check(args);
        }

        WebApplication app;
        try
        {
            app = ServiceHost.Build(args);

            // The start-up checks (schema, master key, HSM) before the host starts: a refusal is then
            // only the one line on stderr (below), not also the host's "Hosting failed to start" error
            // with the whole exception chain on the console log. StartupHostedService runs them (once
            // only) for hosts started otherwise, such as the test host.
            await app.Services.GetRequiredService<Infrastructure.StartupInitializer>().InitializeAsync(CancellationToken.None);
        }
        catch (Exception e) when (!IsStartupRefusal(e) && DatabaseFailure(e) is null && e is not (UsageException or HostAbortedException))
        {
            // A failure at start-up the code did not foresee (a native module that aborts its
            // initialisation, say): one line and exit code 1, not an abort with a trace. A tool that
            // stops the host once it is built (HostAbortedException) is not a failure.
            return Fail($"The service could not start ({e.GetType().Name}): {e.Message}", 1);
        }

        await app.RunAsync();
        return 0;
    }

    private static bool IsCommand(string word) =>
        word is "serve" or "migrate" or "credentials" or "keys" or "master-key" or "audit" or "schema-script" or "help";

    /// <summary>
    /// The usage of the command (and subcommand) the words before the first option name, one line
    /// each; the whole usage for none, or for words that name no command.
    /// </summary>
    private static int Help(string[] args)
    {
        var words = args.TakeWhile(static a => !a.StartsWith('-')).Take(2).ToList();
        for (; words.Count > 0; words.RemoveAt(words.Count - 1))
        {
            var name = string.Join(' ', words);
            var matches = Commands.Where(c => c.Replace("[serve]", "serve", StringComparison.Ordinal) is var named && (named == name || named.StartsWith(name + " ", StringComparison.Ordinal))).ToList();
            if (matches.Count > 0)
            {
                Console.WriteLine(string.Join(Environment.NewLine, matches.Select(static c => "usage: lkm " + c)));
                return 0;
            }
        }

        Console.WriteLine(Usage);
        return 0;
    }

    /// <summary>PostgreSQL's insufficient_privilege (42501): what the login is missing is rarely obvious from its message.</summary>
    private static string MissingRightHint(System.Data.Common.DbException failure) =>
        failure.SqlState == "42501"
            ? " The login lacks a right this needs: 'migrate' runs as the schema's owner (or a login that may create in it); the service's own login needs the rights db/postgres/grants.sql gives."
            : "";

    private static System.Data.Common.DbException? DatabaseFailure(Exception? e)
    {
        for (; e is not null; e = e.InnerException)
        {
            if (e is System.Data.Common.DbException failure)
            {
                return failure;
            }
        }

        return null;
    }

    /// <summary>
    /// What a failed options check says, without the validator's wrapping ("DataAnnotation
    /// validation failed for 'HawkOptions' members: ... with the error: '...'"): each setting's own
    /// message, which names it as operators write it (Hawk:TimestampSkewSeconds).
    /// </summary>
    private static string SettingsMessage(OptionsValidationException e) => string.Join(" ", e.Failures.Select(failure =>
        System.Text.RegularExpressions.Regex.Match(failure, "with the error: '(.*)'\\.?$") is { Success: true } inner ? inner.Groups[1].Value : failure));

    /// <summary>
    /// Refusals to start: a bad setting (a malformed connection string is an ArgumentException, a
    /// malformed --urls or Kestrel endpoint URL a FormatException), a missing key, an old schema.
    /// </summary>
    private static bool IsStartupRefusal(Exception e) =>
        e is MasterKeyException or SchemaBehindException or OptionsValidationException or InvalidOperationException or IOException or UnauthorizedAccessException or ArgumentException or FormatException;
}
