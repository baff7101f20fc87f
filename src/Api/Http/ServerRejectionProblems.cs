using System.Buffers;
using System.IO.Pipelines;
using System.Text;
using System.Text.Json;
using Microsoft.AspNetCore.Connections;
using Microsoft.AspNetCore.Server.Kestrel.Core;

namespace LocalKeyManager.Api.Http;

/// <summary>
/// Kestrel refuses a request that is not valid HTTP/1.x (no <c>Host</c>, a bad
/// <c>Content-Length</c>, a malformed request line or header) or is over its own limits by
/// itself, before any application code runs, with an empty body, and the framework has no hook
/// for that answer. This connection middleware gives it the problem body every other error has
/// (API.md 1): it watches what Kestrel writes to the connection and replaces exactly that
/// answer: a status line of 4xx or 5xx, then <c>Content-Length: 0</c> and <c>Connection: close</c>,
/// written in one piece and ending the connection. The service itself never writes an error
/// without a body, so nothing it answers has that form. Every other write passes through
/// untouched.
/// <para>
/// Not for a refused <c>HEAD</c>, whose client reads no body. Later on a kept-alive connection,
/// only when the bytes read after the previous answer begin as a request line (a method token and a
/// space): other bytes there are most often a body the client sent without <c>Content-Length</c>
/// (as Node.js does for <c>DELETE</c>) while it waits for the answer to its next request, and an
/// unexpected body would put the client's reading out of step, where an empty answer does not.
/// </para>
/// <para>
/// It sees plain HTTP only: on an HTTPS endpoint Kestrel adds TLS inside it, so there those
/// answers keep their empty body (TLS usually ends at the load balancer in front).
/// </para>
/// </summary>
public static class ServerRejectionProblems
{
    public static void Use(ListenOptions listen) => listen.Use(next => async connection =>
    {
        var transport = connection.Transport;
        connection.Transport = new RewritingTransport(transport);
        try
        {
            await next(connection);
        }
        finally
        {
            connection.Transport = transport;
        }
    });

    private static ReadOnlySpan<byte> StatusLineStart => "HTTP/1.1 "u8;

    private static ReadOnlySpan<byte> EmptyAndClosing => "Content-Length: 0\r\nConnection: close\r\n"u8;

    private static ReadOnlySpan<byte> EndOfHeaders => "\r\n\r\n"u8;

    /// <summary>
    /// The problem answer for <paramref name="written"/> if it is Kestrel's bodiless refusal, else
    /// null. Its headers are kept, with the body's type and length in place of <c>Content-Length: 0</c>.
    /// </summary>
    public static byte[]? Rewrite(ReadOnlySpan<byte> written)
    {
        // "HTTP/1.1 400 Bad Request\r\n" + "Content-Length: 0\r\nConnection: close\r\n" + other headers + "\r\n"
        if (written.Length < StatusLineStart.Length + 4 || !written.StartsWith(StatusLineStart) || !written.EndsWith(EndOfHeaders))
        {
            return null;
        }

        var status = written.Slice(StatusLineStart.Length, 4);
        if (status[0] is not ((byte)'4' or (byte)'5') || !char.IsAsciiDigit((char)status[1]) || !char.IsAsciiDigit((char)status[2]) || status[3] != ' ')
        {
            return null;
        }

        var statusLineLength = written.IndexOf("\r\n"u8) + 2;
        var rest = written[statusLineLength..];
        if (!rest.StartsWith(EmptyAndClosing) || written.IndexOf(EndOfHeaders) != written.Length - EndOfHeaders.Length)
        {
            return null;
        }

        var code = (status[0] - '0') * 100 + (status[1] - '0') * 10 + (status[2] - '0');
        var body = Body(code, ErrorHandling.ProblemWriter.TitleFor(code));
        var headers = Encoding.ASCII.GetBytes(
            $"Content-Type: application/problem+json\r\nContent-Length: {body.Length.ToString(System.Globalization.CultureInfo.InvariantCulture)}\r\nConnection: close\r\n");
        var otherHeaders = rest[EmptyAndClosing.Length..];
        return [.. written[..statusLineLength], .. headers, .. otherHeaders, .. body];
    }

    private static byte[] Body(int status, string title)
    {
        var detail = status switch
        {
            414 or 431 => "The request line or headers are far over the limits of the service; the server refused the request before reading it.",
            505 => "The request is not HTTP/1.0 or HTTP/1.1; the server refused it before reading it.",
            408 => "The request did not arrive in time; the server refused it before reading it.",
            400 => "The request is not valid HTTP (for example: no Host header, a malformed request line or header, an invalid Content-Length); the server refused it before reading it.",
            _ => "The server refused the request before reading it.",
        };
        var buffer = new ArrayBufferWriter<byte>(512);
        using (var json = new Utf8JsonWriter(buffer))
        {
            json.WriteStartObject();
            json.WriteString("title", title);
            json.WriteNumber("status", status);
            json.WriteString("detail", detail);
            json.WriteString("message", detail);
            json.WriteEndObject();
        }

        return buffer.WrittenSpan.ToArray();
    }

    private sealed class RewritingTransport : IDuplexPipe
    {
        public RewritingTransport(IDuplexPipe inner)
        {
            var output = new RewritingWriter(inner.Output);
            Output = output;
            Input = new RequestStartReader(inner.Input, output);
        }

        public PipeReader Input { get; }

        public PipeWriter Output { get; }
    }

    /// <summary>How the bytes Kestrel reads next begin: what the request it may refuse is.</summary>
    private enum RequestStart
    {
        /// <summary>Not read yet, or too short to tell.</summary>
        Unknown,

        /// <summary>A <c>HEAD</c> request line: its client reads no body.</summary>
        Head,

        /// <summary>Another method and a space: a request line the client waits on an answer for.</summary>
        Method,

        /// <summary>Anything else (after an answer: most often a body sent without a length).</summary>
        Other,
    }

    /// <summary>
    /// Passes every call to the connection's reader; tells the writer how the bytes after its last
    /// write begin. A reader returns what is not consumed yet, so the first read after an answer
    /// starts where the next request starts, also when the client pipelines.
    /// </summary>
    private sealed class RequestStartReader(PipeReader inner, RewritingWriter writer) : PipeReader
    {
        /// <summary>The longest method token looked for (Kestrel's longest known one is 7).</summary>
        private const int MaxMethodLength = 20;

        public override ValueTask<ReadResult> ReadAsync(CancellationToken cancellationToken = default)
        {
            // Once per answer at most, on every request's path: no wrapper when nothing is watched,
            // and the wrapper's state machine from a pool when the read waits.
            var read = inner.ReadAsync(cancellationToken);
            if (!writer.Watching)
            {
                return read;
            }

            if (read.IsCompletedSuccessfully)
            {
                var result = read.Result;
                Note(result.Buffer);
                return new ValueTask<ReadResult>(result);
            }

            return NotedAsync(read);
        }

        [System.Runtime.CompilerServices.AsyncMethodBuilder(typeof(System.Runtime.CompilerServices.PoolingAsyncValueTaskMethodBuilder<>))]
        private async ValueTask<ReadResult> NotedAsync(ValueTask<ReadResult> read)
        {
            var result = await read;
            Note(result.Buffer);
            return result;
        }

        public override bool TryRead(out ReadResult result)
        {
            if (!inner.TryRead(out result))
            {
                return false;
            }

            Note(result.Buffer);
            return true;
        }

        public override void AdvanceTo(SequencePosition consumed) => inner.AdvanceTo(consumed);

        public override void AdvanceTo(SequencePosition consumed, SequencePosition examined) => inner.AdvanceTo(consumed, examined);

        public override void CancelPendingRead() => inner.CancelPendingRead();

        public override void Complete(Exception? exception = null) => inner.Complete(exception);

        public override ValueTask CompleteAsync(Exception? exception = null) => inner.CompleteAsync(exception);

        /// <summary>Decides once enough of what follows the last write has arrived to tell.</summary>
        private void Note(ReadOnlySequence<byte> buffer)
        {
            if (!writer.Watching)
            {
                return;
            }

            Span<byte> start = stackalloc byte[MaxMethodLength + 1];
            var length = (int)Math.Min(buffer.Length, start.Length);
            buffer.Slice(0, length).CopyTo(start);
            if (Classify(start[..length]) is { } known)
            {
                writer.Start = known;
                writer.Watching = false;
            }
        }

        /// <summary>A method token (upper-case letters) and a space, or not; null while too few bytes have come to tell.</summary>
        private static RequestStart? Classify(ReadOnlySpan<byte> start)
        {
            var space = start.IndexOf((byte)' ');
            var token = space < 0 ? start : start[..space];
            if (token.ContainsAnyExceptInRange((byte)'A', (byte)'Z') || space == 0)
            {
                return RequestStart.Other;
            }

            if (space < 0)
            {
                return start.Length > MaxMethodLength ? RequestStart.Other : null;
            }

            return token.SequenceEqual("HEAD"u8) ? RequestStart.Head : RequestStart.Method;
        }
    }

    /// <summary>Passes every call to the connection's writer; looks at what each <see cref="Advance"/> commits.</summary>
    private sealed class RewritingWriter(PipeWriter inner) : PipeWriter
    {
        private Memory<byte> _lent;

        /// <summary>Something was written already: this is not the answer to the connection's first request.</summary>
        private volatile bool _answered;

        /// <summary>The reader is to note how the bytes after the last write begin (<see cref="Start"/>).</summary>
        public volatile bool Watching = true;

        /// <summary>How the request after the last write begins, as the reader found it.</summary>
        public volatile RequestStart Start = RequestStart.Unknown;

        /// <summary>
        /// The connection's first request is answered with a problem unless it is a <c>HEAD</c>;
        /// a later one only when it is known to be a request line other than <c>HEAD</c>.
        /// </summary>
        private bool MayRewrite => _answered ? Start == RequestStart.Method : Start != RequestStart.Head;

        public override bool CanGetUnflushedBytes => inner.CanGetUnflushedBytes;

        public override long UnflushedBytes => inner.UnflushedBytes;

        public override Memory<byte> GetMemory(int sizeHint = 0) => _lent = inner.GetMemory(sizeHint);

        public override Span<byte> GetSpan(int sizeHint = 0) => GetMemory(sizeHint).Span;

        public override void Advance(int bytes)
        {
            if (MayRewrite && bytes > StatusLineStart.Length && bytes <= _lent.Length
                && Rewrite(_lent.Span[..bytes]) is { } problem)
            {
                // Nothing of the refusal is committed yet: write the problem in its place.
                problem.CopyTo(inner.GetSpan(problem.Length));
                inner.Advance(problem.Length);
            }
            else
            {
                inner.Advance(bytes);
            }

            Wrote(bytes > 0);
            _lent = default;
        }

        public override ValueTask<FlushResult> FlushAsync(CancellationToken cancellationToken = default) => inner.FlushAsync(cancellationToken);

        public override ValueTask<FlushResult> WriteAsync(ReadOnlyMemory<byte> source, CancellationToken cancellationToken = default)
        {
            Wrote(!source.IsEmpty);
            return inner.WriteAsync(source, cancellationToken);
        }

        /// <summary>After a write, what is read next is looked at anew.</summary>
        private void Wrote(bool any)
        {
            if (any)
            {
                _answered = true;
                Start = RequestStart.Unknown;
                Watching = true;
            }
        }

        public override void CancelPendingFlush() => inner.CancelPendingFlush();

        public override void Complete(Exception? exception = null) => inner.Complete(exception);

        public override ValueTask CompleteAsync(Exception? exception = null) => inner.CompleteAsync(exception);
    }
}
