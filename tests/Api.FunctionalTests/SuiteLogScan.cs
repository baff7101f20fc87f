using System.Collections.Concurrent;
using System.Text.RegularExpressions;

[assembly: AssemblyFixture(typeof(LocalKeyManager.Api.FunctionalTests.SuiteLogScan))]

namespace LocalKeyManager.Api.FunctionalTests;

/// <summary>
/// Every log line any service instance wrote during the whole suite, scanned when the suite
/// ends: no credential key created by a test, no PEM private key, and no long base64 run (a DER
/// key, a ciphertext or a plaintext key would show as one). A hit fails the run.
/// </summary>
public sealed partial class SuiteLogScan : IAsyncDisposable
{
    private static readonly ConcurrentBag<CapturedLogs> Logs = [];
    private static readonly ConcurrentBag<string> Secrets = [];

    public static void Watch(CapturedLogs logs) => Logs.Add(logs);

    public static void Secret(string secret) => Secrets.Add(secret);

    public ValueTask DisposeAsync()
    {
        var lines = Logs.SelectMany(l => l.Lines).ToList();
        var leaks = lines.Where(line =>
                line.Contains("PRIVATE KEY", StringComparison.Ordinal)
                || LongBase64().IsMatch(line)
                || Secrets.Any(secret => line.Contains(secret, StringComparison.Ordinal)))
            .Take(3)
            .ToList();
        if (leaks.Count > 0)
        {
            throw new InvalidOperationException($"Key material reached the logs ({leaks.Count}+ lines), e.g.: {leaks[0][..Math.Min(200, leaks[0].Length)]}");
        }

        if (lines.Count == 0)
        {
            throw new InvalidOperationException("The log scan saw no log lines at all: the capture is broken, so the scan proves nothing.");
        }

        return ValueTask.CompletedTask;
    }

    // 120+ base64 characters in a row: far longer than any id, hash or MAC we log (44).
    [GeneratedRegex("[A-Za-z0-9+/]{120,}={0,2}")]
    private static partial Regex LongBase64();
}
