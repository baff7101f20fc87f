using System.Diagnostics;
using LocalKeyManager.Api.Authentication;
using LocalKeyManager.Api.ErrorHandling;
using LocalKeyManager.Application.Audit;
using LocalKeyManager.Application.Telemetry;
using LocalKeyManager.Domain.Audit;
using LocalKeyManager.Infrastructure.Hawk;
using LocalKeyManager.Infrastructure.Persistence;
using Microsoft.Net.Http.Headers;
using NodaTime;

namespace LocalKeyManager.Api.Audit;

/// <summary>
/// For every request that authenticated: holds the answer back until its request-log entry is
/// committed (so a 200 always has its record; if the record cannot be written the answer is a
/// 503 instead, failing closed), then signs the answer with <c>Server-Authorization</c>.
/// </summary>
public sealed partial class AuthenticatedResponseMiddleware(RequestDelegate next, IClock clock, ILogger<AuthenticatedResponseMiddleware> logger)
{
    public async Task InvokeAsync(HttpContext context, IRequestLog requestLog, DatabaseWork database, ProblemWriter problems, KeyManagerMetrics metrics, DatabaseOutage outage)
    {
        var feature = context.Features.Get<HawkContextFeature>();
        var hawk = feature?.Authentication;
        if (hawk is null)
        {
            await next(context);
            return;
        }

        // Server-Authorization's payload hash is over the body as the client's application reads
        // it (the reference client hashes the decoded payload), so a signed answer is never
        // content-encoded: the Prometheus exporter would otherwise gzip for clients that ask.
        context.Request.Headers.Remove(HeaderNames.AcceptEncoding);

        // The handler's own statements are waited for until StatementsWithin, which leaves the
        // request-log entry its time before the answer is due, even against a database that hangs.
        database.WaitAtMostUntil(feature!.StartedAt + (long)(StatementsWithin.TotalSeconds * Stopwatch.Frequency));

        var started = RequestLogEntry.ToLogPrecision(clock.GetCurrentInstant());
        var stopwatch = Stopwatch.StartNew();
        // Read now: the exception handler clears the endpoint and its route values before the entry is written.
        var audit = new RequestAuditFeature { RouteKeypairId = RouteKeypairId(context) };
        context.Features.Set(audit);
        context.Features.Set(new RequestOriginFeature(Origin(context, hawk.CredentialId, started)));

        var response = context.Response;
        var originalBody = response.Body;
        using var buffer = new MemoryStream();
        response.Body = buffer;
        try
        {
            await next(context);

            var replayed = false;
            if (audit.RecordedByHandler && hawk.UnrecordedNonce is not null)
            {
                throw new InvalidOperationException("An action whose nonce is recorded with its log entry ([ReplayCheckedWithLog]) wrote its own entry, so its nonce was never recorded.");
            }

            if (!audit.RecordedByHandler)
            {
                // The answer goes out within AnswerWithin of the start of authentication, even when the
                // database hangs and the request already waited on it (API.md: a 503 within 5 s).
                using var deadline = CancellationTokenSource.CreateLinkedTokenSource(context.RequestAborted);
                deadline.CancelAfter(Max(MinLogWait, AnswerWithin - Stopwatch.GetElapsedTime(feature.StartedAt)));
                var entry = Entry(context, hawk.CredentialId, started, stopwatch.Elapsed, audit);
                try
                {
                    if (hawk.UnrecordedNonce is { } use)
                    {
                        replayed = !await requestLog.AppendIfFirstUseAsync(entry, use, deadline.Token);
                    }
                    else
                    {
                        await requestLog.AppendAsync(entry, deadline.Token);
                    }
                }
                catch (Exception e) when (!context.RequestAborted.IsCancellationRequested)
                {
                    // Reported only if the database failed or hung (the writer's own 4 s wait), not for a late request's short wait.
                    outage.Observe(e);
                    LogAuditWriteFailed(logger, e);
                    RecordWithheldAnswer(requestLog, entry, RequestLogEntry.ToLogPrecision(clock.GetCurrentInstant()), stopwatch.Elapsed);
                    buffer.SetLength(0);
                    response.Headers.Clear();
                    response.Headers.RetryAfter = "1";
                    await problems.WriteAsync(context, StatusCodes.Status503ServiceUnavailable, "Service unavailable", ChangesNothing(context.Request) ? NotRecordedRetry : NotRecorded);
                }

                // Recorded as the first use, refused below as a replay, or answered 503: settled.
                hawk.SettleNonce();
            }

            if (replayed)
            {
                // The nonce was used before (found at commit, perhaps by another instance): the
                // answer is thrown away and the request refused as authentication would have.
                HawkLog.Failed(logger, HawkFailureReason.Replay);
                metrics.AuthenticationFailed(HawkLog.MetricName(HawkFailureReason.Replay));
                buffer.SetLength(0);
                response.Headers.Clear();
                response.Headers.WWWAuthenticate = HawkAuthenticator.Replay.WwwAuthenticate;
                await problems.WriteAsync(context, StatusCodes.Status401Unauthorized, "Unauthorized", HawkAuthenticator.Replay.Message);
            }
            else
            {
                // The payload hash covers the body the client receives: none at all for HEAD.
                var sent = HttpMethods.IsHead(context.Request.Method) ? [] : buffer.GetBuffer().AsSpan(0, (int)buffer.Length);
                response.Headers["Server-Authorization"] = hawk.ServerAuthorization(sent, response.ContentType);

                // An authenticated answer may carry a plaintext key or a one-time authKey: no
                // cache on the way (a proxy, the client's HTTP stack) may keep it.
                if (string.IsNullOrEmpty(response.Headers.CacheControl))
                {
                    response.Headers.CacheControl = "no-store";
                }
            }
        }
        finally
        {
            response.Body = originalBody;
        }

        // A HEAD answer has no body (Kestrel would drop it; other servers, such as the test host, not).
        if (buffer.Length > 0 && !HttpMethods.IsHead(context.Request.Method))
        {
            response.ContentLength = buffer.Length;
            await originalBody.WriteAsync(buffer.GetBuffer().AsMemory(0, (int)buffer.Length), context.RequestAborted);
        }
    }

    /// <summary>
    /// When the answer is due, counted from the start of authentication. API.md promises a 503
    /// within 5 s; the second left over is for what the client sees around it (reading the request
    /// before authentication, a fresh instance's first compilations, a loaded machine): a fresh
    /// instance's 503 against a locked database took 4.76 s end to end with 4.5 s here.
    /// </summary>
    private static readonly TimeSpan AnswerWithin = TimeSpan.FromSeconds(4);
    private static readonly TimeSpan StatementsWithin = TimeSpan.FromSeconds(3.25);
    private static readonly TimeSpan MinLogWait = TimeSpan.FromMilliseconds(250);

    /// <summary>
    /// The answer was thrown away, not necessarily the work: a keypair may have been created, a
    /// credential registered, a purge done before the entry failed (seen with a database that hung).
    /// </summary>
    private const string NotRecorded = "The request could not be recorded in the request log, so it was not answered. "
        + "A change it asked for may still have been made: check before you repeat it.";

    private const string NotRecordedRetry = "The request could not be recorded in the request log, so it was not answered. It changes nothing: retry it.";

    /// <summary>A read, or a decrypt: repeating it cannot make a change twice.</summary>
    private static bool ChangesNothing(HttpRequest request) =>
        HttpMethods.IsGet(request.Method) || HttpMethods.IsHead(request.Method) || HttpMethods.IsOptions(request.Method) ||
        (HttpMethods.IsPost(request.Method) && request.Path.StartsWithSegments("/key-management/v1/decrypt", StringComparison.OrdinalIgnoreCase));

    private static TimeSpan Max(TimeSpan a, TimeSpan b) => a > b ? a : b;

    /// <summary>
    /// The entry given up on is still queued and may commit later (a database that hung, then
    /// answered): it would record an answer the client never got. A second entry, queued behind it
    /// and so committed after it if at all, records the 503 the client did get, at the time it was
    /// answered. Nobody waits for it.
    /// </summary>
    private void RecordWithheldAnswer(IRequestLog requestLog, RequestLogEntry given, Instant answeredAt, TimeSpan elapsed)
    {
        var withheld = given with
        {
            Id = Guid.CreateVersion7(answeredAt.ToDateTimeOffset()),
            Timestamp = answeredAt,
            Status = StatusCodes.Status503ServiceUnavailable,
            DurationMs = elapsed.TotalMilliseconds,
            Detail = $"Answered 503: this request's entry (status {given.Status}, id {given.Id}) was not committed in time; if it is in the log, it records an answer the client did not get.",
        };
        try
        {
            _ = requestLog.AppendAsync(withheld, CancellationToken.None).ContinueWith(
                (t, state) => LogWithheldNotRecorded((ILogger)state!, t.Exception!.GetBaseException()),
                logger,
                CancellationToken.None,
                TaskContinuationOptions.OnlyOnFaulted | TaskContinuationOptions.ExecuteSynchronously,
                TaskScheduler.Default);
        }
        catch (ObjectDisposedException e)
        {
            // Shutting down: the writer takes nothing more. The 503 is answered all the same.
            LogWithheldNotRecorded(logger, e);
        }
    }

    private static RequestOrigin Origin(HttpContext context, string credentialId, Instant started)
    {
        var userId = context.Request.Headers["PureCloud-User-Id"].ToString();
        return new RequestOrigin(
            credentialId,
            string.IsNullOrWhiteSpace(userId) ? RequestLogEntry.NoUserId : userId,
            context.Request.Method,
            context.Request.PathBase + context.Request.Path,
            context.Connection.RemoteIpAddress?.ToString(),
            started);
    }

    private static RequestLogEntry Entry(HttpContext context, string credentialId, Instant started, TimeSpan elapsed, RequestAuditFeature audit)
    {
        var origin = context.Features.Get<RequestOriginFeature>()!.Origin;
        return new RequestLogEntry
        {
            // Time-ordered (version 7): each insert lands at the end of the id index, as the
            // table's other indexes do, instead of on a random page of it.
            Id = Guid.CreateVersion7(started.ToDateTimeOffset()),
            Timestamp = started,
            CredentialId = credentialId,
            UserId = origin.UserId,
            RequestMethod = origin.RequestMethod,
            RequestUri = origin.RequestUri,
            Status = context.Response.StatusCode,
            KeypairId = KeypairIdOf(audit),
            ClientAddress = origin.ClientAddress,
            DurationMs = elapsed.TotalMilliseconds,
            Detail = audit.Detail,
        };
    }

    /// <summary>
    /// The keypair the request named, as the action recorded it or else from the route: a UUID in
    /// its canonical lowercase form (so one keypair has one spelling in the log, whatever case the
    /// caller sent), anything else as sent, up to 64 characters.
    /// </summary>
    private static string? KeypairIdOf(RequestAuditFeature audit)
    {
        var named = audit.KeypairId ?? audit.RouteKeypairId;
        return named switch
        {
            null => null,
            _ when Domain.Keys.KeypairId.TryParse(named, out var id) => named.AsSpan().ContainsAnyInRange('A', 'F') ? id.ToString() : named,
            { Length: <= 64 } => named,
            _ => null,
        };
    }

    private static string? RouteKeypairId(HttpContext context)
    {
        if (context.GetEndpoint()?.Metadata.GetMetadata<AuditedKeypairRouteValueAttribute>() is { } fromRoute)
        {
            return context.GetRouteValue(fromRoute.Name) as string;
        }

        // A method the path does not take (405): routing chose no action, so there are no route
        // values, but the path still names the keypair the request was about.
        var path = context.Request.Path.Value.AsSpan();
        if (!path.StartsWith(KeypairPath, StringComparison.OrdinalIgnoreCase))
        {
            return null;
        }

        var segment = path[KeypairPath.Length..];
        segment = segment.IndexOf('/') is var end and >= 0 ? segment[..end] : segment;
        return segment.IsEmpty || segment.Equals("import", StringComparison.OrdinalIgnoreCase) ? null : segment.ToString();
    }

    private const string KeypairPath = "/key-management/v1/keypair/";

    [LoggerMessage(Level = LogLevel.Warning, Message = "The entry recording a withheld answer (503) did not commit with its group (held and tried again if the database was unavailable); until it commits, the request's own entry, if committed, shows an answer its client did not get")]
    private static partial void LogWithheldNotRecorded(ILogger logger, Exception exception);

    [LoggerMessage(Level = LogLevel.Error, Message = "Writing the request-log entry failed; answering 503")]
    private static partial void LogAuditWriteFailed(ILogger logger, Exception exception);
}
