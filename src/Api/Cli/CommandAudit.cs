using System.Diagnostics;
using LocalKeyManager.Domain.Audit;

namespace LocalKeyManager.Api.Cli;

/// <summary>
/// The request-log entry of a command that changed the installation or took keys out of it, as
/// the service writes one for each request: credential <see cref="RequestLogEntry.CommandLineCredentialId"/>,
/// the operating-system account as the user, method <c>CLI</c>, the command (never its options,
/// which may carry configuration secrets) as the path, status 200, and what it did as the detail.
/// Written once the command has done its work (<c>master-key rotate</c> also writes one as soon as it
/// has made a new version active) and before it prints its answer, in a transaction of
/// its own that the command waits for (<see cref="IRequestLog.AppendAloneAsync"/>): a command whose
/// entry was not written fails (and takes back a credential or backup file it made), as a request
/// whose entry cannot be written is answered 503; a command never takes back what its entry records.
/// </summary>
public static class CommandAudit
{
    public static async Task RecordAsync(IServiceProvider services, string command, string detail, string? keypairId = null)
    {
        var now = RequestLogEntry.ToLogPrecision(services.GetRequiredService<NodaTime.IClock>().GetCurrentInstant());
        var entry = new RequestLogEntry
        {
            Id = Guid.CreateVersion7(now.ToDateTimeOffset()),
            Timestamp = now,
            CredentialId = RequestLogEntry.CommandLineCredentialId,
            UserId = string.IsNullOrWhiteSpace(Environment.UserName) ? RequestLogEntry.NoUserId : Environment.UserName,
            RequestMethod = "CLI",
            RequestUri = "lkm " + command,
            Status = 200,
            KeypairId = keypairId,
            // From the process's start to the entry: the command's own time.
            DurationMs = (DateTime.Now - Process.GetCurrentProcess().StartTime).TotalMilliseconds,
            Detail = detail,
        };
        try
        {
            await using var scope = services.CreateAsyncScope();
            await scope.ServiceProvider.GetRequiredService<IRequestLog>().AppendAloneAsync(entry, CancellationToken.None);
        }
        catch (Exception e)
        {
            e.Data[CommandLine.WhatNowKey] ??= $"'lkm {command}' did its work, but the request log does not record it.";
            throw;
        }
    }
}
