using System.Collections.Concurrent;
using System.Security.Cryptography;
using System.Text.Json;

// The smallest server LoadGen can drive: the decrypt path of the service without anything the
// service adds to it (Hawk, replay records, the request log, MVC, validation, telemetry). Keys
// live in memory, one parsed copy per thread; RSA runs inline on the request's thread. Loopback
// only, and it never checks who calls: never run it anywhere else.
var builder = WebApplication.CreateSlimBuilder(args);
builder.Logging.ClearProviders();
builder.Logging.AddConsole();
builder.Logging.SetMinimumLevel(LogLevel.Warning);
builder.Logging.AddFilter("Microsoft.Hosting.Lifetime", LogLevel.Information);
var app = builder.Build();
var urls = (app.Configuration["urls"] ?? "http://localhost:5000").Split(';', StringSplitOptions.RemoveEmptyEntries);
if (urls.Any(url => !url.Contains("://127.0.0.1:", StringComparison.Ordinal) && !url.Contains("://localhost:", StringComparison.Ordinal)))
{
    throw new InvalidOperationException("lkm-baseline listens on loopback only (--urls http://127.0.0.1:PORT).");
}

var keys = new ConcurrentDictionary<string, ThreadLocal<RSA>>(StringComparer.Ordinal);

app.MapGet("/health", () => Results.Text("OK"));

// LoadGen registers a credential first; the baseline checks none, so any key will do.
app.MapPost("/key-management/v1/auth", async (HttpRequest request) =>
{
    using var body = await JsonDocument.ParseAsync(request.Body);
    var id = body.RootElement.GetProperty("id").GetString();
    return Results.Json(new { id, authKey = Convert.ToBase64String(RandomNumberGenerator.GetBytes(32)), algorithm = "sha256" });
});

app.MapPost("/key-management/v1/keypair", () =>
{
    using var rsa = RSA.Create(3072);
    var id = Guid.NewGuid().ToString();
    var privateKey = rsa.ExportRSAPrivateKey();
    keys[id] = new ThreadLocal<RSA>(() =>
    {
        var copy = RSA.Create();
        copy.ImportRSAPrivateKey(privateKey, out _);
        return copy;
    });
    return Results.Json(new { id, publicKey = Convert.ToBase64String(rsa.ExportRSAPublicKey()), dateCreated = DateTimeOffset.UtcNow.ToUnixTimeMilliseconds() });
});

app.MapPost("/key-management/v1/decrypt", async (HttpRequest request) =>
{
    using var body = await JsonDocument.ParseAsync(request.Body);
    var keypairId = body.RootElement.GetProperty("keypairId").GetString() ?? string.Empty;
    var ciphertext = Convert.FromBase64String(body.RootElement.GetProperty("body").GetString() ?? string.Empty);
    var padding = request.Query["decryptType"] == "pkcs1" ? RSAEncryptionPadding.Pkcs1 : RSAEncryptionPadding.OaepSHA1;
    if (!keys.TryGetValue(keypairId, out var key))
    {
        return Results.Problem(statusCode: StatusCodes.Status400BadRequest, title: "Unknown keypair");
    }

    var plaintext = key.Value!.Decrypt(ciphertext, padding);
    return Results.Json(new { body = Convert.ToBase64String(plaintext) });
});

app.Run();
