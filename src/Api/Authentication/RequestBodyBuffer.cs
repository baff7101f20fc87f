using LocalKeyManager.Api.Http;

namespace LocalKeyManager.Api.Authentication;

/// <summary>
/// Reads the request body once into memory so that Hawk can hash it and the controller can
/// still bind it. Bodies are at most 64 KiB (see <see cref="RequestLimits"/>).
/// </summary>
public sealed class RequestBodyBuffer
{
    private static readonly object BufferedKey = new();

    public async Task<ReadOnlyMemory<byte>> ReadAsync(HttpContext context, CancellationToken cancellationToken)
    {
        if (context.Items.TryGetValue(BufferedKey, out var cached) && cached is ReadOnlyMemory<byte> bytes)
        {
            return bytes;
        }

        var request = context.Request;
        request.EnableBuffering(RequestLimits.MaxBodyBytes, RequestLimits.MaxBodyBytes);
        using var memory = new MemoryStream();
        await request.Body.CopyToAsync(memory, cancellationToken);
        if (memory.Length > RequestLimits.MaxBodyBytes)
        {
            throw new BadHttpRequestException("The request body is larger than 64 KiB.", StatusCodes.Status413PayloadTooLarge);
        }

        request.Body.Position = 0;
        ReadOnlyMemory<byte> body = memory.ToArray();
        context.Items[BufferedKey] = body;
        return body;
    }
}
