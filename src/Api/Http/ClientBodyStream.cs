namespace LocalKeyManager.Api.Http;

/// <summary>
/// The request body as the application reads it, where a body the client framed wrongly is the
/// client's <c>400</c>, never the service's <c>500</c>: Kestrel reports most framing errors as a
/// <see cref="BadHttpRequestException"/>, but a few (a chunk size past 2 GiB, for one) as a bare
/// <see cref="IOException"/>. A read that fails because the client went away is a cancellation.
/// </summary>
internal sealed class ClientBodyStream(Stream inner, HttpContext context) : Stream
{
    public override bool CanRead => true;

    public override bool CanSeek => false;

    public override bool CanWrite => false;

    public override long Length => throw new NotSupportedException();

    public override long Position
    {
        get => throw new NotSupportedException();
        set => throw new NotSupportedException();
    }

    public override int Read(byte[] buffer, int offset, int count)
    {
        try
        {
            return inner.Read(buffer, offset, count);
        }
        catch (IOException e) when (e is not BadHttpRequestException)
        {
            throw Translate(e);
        }
    }

    public override int Read(Span<byte> buffer)
    {
        try
        {
            return inner.Read(buffer);
        }
        catch (IOException e) when (e is not BadHttpRequestException)
        {
            throw Translate(e);
        }
    }

    public override ValueTask<int> ReadAsync(Memory<byte> buffer, CancellationToken cancellationToken = default)
    {
        ValueTask<int> read;
        try
        {
            read = inner.ReadAsync(buffer, cancellationToken);
        }
        catch (IOException e) when (e is not BadHttpRequestException)
        {
            throw Translate(e);
        }

        return read.IsCompletedSuccessfully ? read : Awaited(read);
    }

    public override Task<int> ReadAsync(byte[] buffer, int offset, int count, CancellationToken cancellationToken) =>
        ReadAsync(buffer.AsMemory(offset, count), cancellationToken).AsTask();

    public override void Flush()
    {
    }

    public override long Seek(long offset, SeekOrigin origin) => throw new NotSupportedException();

    public override void SetLength(long value) => throw new NotSupportedException();

    public override void Write(byte[] buffer, int offset, int count) => throw new NotSupportedException();

    private async ValueTask<int> Awaited(ValueTask<int> read)
    {
        try
        {
            return await read;
        }
        catch (IOException e) when (e is not BadHttpRequestException)
        {
            throw Translate(e);
        }
    }

    private Exception Translate(IOException e) =>
        context.RequestAborted.IsCancellationRequested
            ? new OperationCanceledException("The client went away while sending the request body.", e, context.RequestAborted)
            : new BadHttpRequestException("The request body could not be read.", StatusCodes.Status400BadRequest, e);
}
