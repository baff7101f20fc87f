using System.Diagnostics;

namespace LocalKeyManager.Bench.LoadGen;

/// <summary>Latencies (of successes and failures alike) and failures by kind, thread-safe.</summary>
internal sealed class Recorder
{
    private readonly Lock _lock = new();
    private readonly List<long> _ticks = new(4096);
    private readonly Dictionary<string, int> _errors = new(StringComparer.Ordinal);

    public int Ok { get; private set; }

    public void Record(long startTicks, long endTicks, string? error)
    {
        lock (_lock)
        {
            _ticks.Add(endTicks - startTicks);
            if (error is null)
            {
                Ok++;
            }
            else
            {
                _errors[error] = _errors.GetValueOrDefault(error) + 1;
            }
        }
    }

    public Stats Snapshot(TimeSpan elapsed)
    {
        lock (_lock)
        {
            var ms = _ticks.Select(t => t * 1000.0 / Stopwatch.Frequency).Order().ToArray();
            return new Stats(ms.Length, Ok, elapsed.TotalSeconds, ms, new Dictionary<string, int>(_errors, StringComparer.Ordinal));
        }
    }
}

/// <summary>One measured phase: requests, successes, elapsed seconds, sorted latencies in ms, errors.</summary>
internal sealed record Stats(int Requests, int Ok, double Seconds, double[] SortedMs, IReadOnlyDictionary<string, int> Errors)
{
    public int Failed => Requests - Ok;

    public double OkPerSecond => Seconds > 0 ? Ok / Seconds : 0;

    public double RequestsPerSecond => Seconds > 0 ? Requests / Seconds : 0;

    public double P50 => Percentile(50);

    public double P95 => Percentile(95);

    public double P99 => Percentile(99);

    public double Max => SortedMs.Length == 0 ? double.NaN : SortedMs[^1];

    /// <summary>Nearest rank: the smallest latency that at least p% of requests did not exceed.</summary>
    public double Percentile(double p)
    {
        if (SortedMs.Length == 0)
        {
            return double.NaN;
        }

        var rank = (int)Math.Ceiling(p / 100.0 * SortedMs.Length);
        return SortedMs[Math.Clamp(rank - 1, 0, SortedMs.Length - 1)];
    }
}
