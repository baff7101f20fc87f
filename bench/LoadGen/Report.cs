using System.Globalization;
using System.Text;

namespace LocalKeyManager.Bench.LoadGen;

internal sealed record ClosedResult(Padding Padding, int Concurrency, Stats Stats, double ClientCores, double? ServerCores);

internal sealed record OpenResult(Padding Padding, double Rate, Stats Stats, int MaxInFlight, double ClientCores, double? ServerCores);

internal sealed record KeygenResult(string Mode, int Workers, Stats Stats);

internal sealed record SoakResult(long DecryptsSoFar, Stats Stats, double? ServerRssMiB);

/// <param name="RsaMs">CPU per decrypt of the service's RSA threads, ms of a core (null without them).</param>
/// <param name="RestMs">CPU per decrypt of the rest of the service (all of it without RSA threads).</param>
/// <param name="LoadGenMs">CPU per decrypt of LoadGen itself.</param>
internal sealed record PairResult(int Pair, double OpenSslPerSecond, Stats Stats, double? RsaMs, double? RestMs, double LoadGenMs)
{
    public double Ratio => Stats.OkPerSecond / OpenSslPerSecond;

    /// <summary>OpenSSL's CPU per private-key operation, ms of a core (every core busy).</summary>
    public double OpenSslMs => 1000.0 * Environment.ProcessorCount / OpenSslPerSecond;
}

internal sealed record GetResult(string Request, int Keys, long ResponseBytes, Stats Stats);

/// <summary>The markdown report and the key=value summary for scripts.</summary>
internal sealed class Report(Options options)
{
    public List<ClosedResult> Closed { get; } = [];

    public List<OpenResult> Open { get; } = [];

    public List<KeygenResult> Keygen { get; } = [];

    public List<GetResult> Gets { get; } = [];

    public List<SoakResult> Soak { get; } = [];

    public List<PairResult> SideBySide { get; } = [];

    /// <summary>The middle pair's ratio (the mean of the middle two for an even count).</summary>
    public double? MedianRatio
    {
        get
        {
            var ratios = SideBySide.Select(p => p.Ratio).Order().ToArray();
            return ratios.Length == 0 ? null : (ratios[(ratios.Length - 1) / 2] + ratios[ratios.Length / 2]) / 2;
        }
    }

    public DateTimeOffset Started { get; } = DateTimeOffset.UtcNow;

    public string ToMarkdown()
    {
        var md = new StringBuilder();
        void Line(FormattableString text) => md.AppendLine(text.ToString(CultureInfo.InvariantCulture));

        Line($"## LoadGen");
        Line($"");
        Line($"- started {Started:yyyy-MM-dd HH:mm:ss}Z against `{options.Url}`; client machine: {Machine.Describe()}");
        Line($"- {options.Keypairs} keypair(s), {options.Ciphertexts} ciphertext(s) per keypair and padding (random 32-byte secrets); every answer is checked against its secret");
        Line($"- {options.StartWarmup} s at concurrency 16 after start-up (not counted: the runtime's tiered compilation settles), then per level {options.Warmup} s warm-up (not counted) and {options.Duration} s measured; Hawk sha256, fresh nonce per request, payload hash {(options.PayloadHash ? "signed" : "not sent")}");
        Line($"");
        Line($"### Decrypt, closed loop (N workers, each sends when its previous answer arrived)");
        Line($"");
        Line($"| padding | concurrency | requests | ok | errors | decrypts/s | p50 ms | p95 ms | p99 ms | max ms | server cores | client cores |");
        Line($"|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|");
        foreach (var r in Closed)
        {
            var s = r.Stats;
            Line($"| {Name(r.Padding)} | {r.Concurrency} | {s.Requests} | {s.Ok} | {s.Failed} | {s.OkPerSecond:F1} | {s.P50:F2} | {s.P95:F2} | {s.P99:F2} | {s.Max:F2} | {F2(r.ServerCores)} | {r.ClientCores:F2} |");
        }

        if (Open.Count > 0)
        {
            Line($"");
            Line($"### Decrypt, open loop (fixed schedule; latency from the scheduled send time; {options.OpenWarmup} s at the rate before it is measured)");
            Line($"");
            Line($"| padding | target/s | requests | ok | errors | decrypts/s | p50 ms | p95 ms | p99 ms | max ms | max in flight | server cores | client cores |");
            Line($"|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|");
            foreach (var r in Open)
            {
                var s = r.Stats;
                Line($"| {Name(r.Padding)} | {r.Rate:F0} | {s.Requests} | {s.Ok} | {s.Failed} | {s.OkPerSecond:F1} | {s.P50:F2} | {s.P95:F2} | {s.P99:F2} | {s.Max:F2} | {r.MaxInFlight} | {F2(r.ServerCores)} | {r.ClientCores:F2} |");
            }
        }

        if (Soak.Count > 0)
        {
            Line($"");
            Line($"### Memory over a long run (closed loop, concurrency 16, {Name(options.Paddings[0])})");
            Line($"");
            Line($"| decrypts so far | in this part | errors | decrypts/s | p99 ms | service RSS after it |");
            Line($"|---:|---:|---:|---:|---:|---:|");
            foreach (var r in Soak)
            {
                var rss = r.ServerRssMiB is { } mib ? mib.ToString("F1", CultureInfo.InvariantCulture) + " MiB" : "n/a";
                Line($"| {r.DecryptsSoFar} | {r.Stats.Ok} | {r.Stats.Failed} | {r.Stats.OkPerSecond:F1} | {r.Stats.P99:F2} | {rss} |");
            }
        }

        if (SideBySide.Count > 0)
        {
            Line($"");
            Line($"### Side by side with OpenSSL (each pair: `openssl speed -seconds {options.OpenSslSeconds} -multi {Environment.ProcessorCount} rsa3072` with the service idle, then {options.Warmup} s warm-up and {options.Duration} s at concurrency 16, {Name(options.Paddings[0])})");
            Line($"");
            Line($"| pair | OpenSSL private ops/s | decrypts/s | errors | p99 ms | ratio | OpenSSL CPU per op, ms | CPU per decrypt, ms: service RSA threads / rest of the service / LoadGen |");
            Line($"|---:|---:|---:|---:|---:|---:|---:|---:|");
            foreach (var r in SideBySide)
            {
                Line($"| {r.Pair} | {r.OpenSslPerSecond:F1} | {r.Stats.OkPerSecond:F1} | {r.Stats.Failed} | {r.Stats.P99:F2} | {r.Ratio:F2} | {r.OpenSslMs:F2} | {F2(r.RsaMs)} / {F2(r.RestMs)} / {r.LoadGenMs:F2} |");
            }

            Line($"");
            Line($"Median ratio of the {SideBySide.Count} pair(s): **{MedianRatio:F2}**. CPU per decrypt is the CPU time each part used during the measured seconds over the decrypts answered in them; with every core busy, the ratio is about OpenSSL's CPU per op over their sum.");
        }

        if (Keygen.Count > 0)
        {
            Line($"");
            Line($"### Keypair generation (POST /keypair, RSA-3072)");
            Line($"");
            Line($"| run | parallel | keys | errors | seconds | keys/s | p50 ms | p95 ms | max ms |");
            Line($"|---|---:|---:|---:|---:|---:|---:|---:|---:|");
            foreach (var r in Keygen)
            {
                var s = r.Stats;
                Line($"| {r.Mode} | {r.Workers} | {s.Ok} | {s.Failed} | {s.Seconds:F1} | {s.OkPerSecond:F2} | {s.P50:F0} | {s.P95:F0} | {s.Max:F0} |");
            }
        }

        if (Gets.Count > 0)
        {
            Line($"");
            Line($"### Reads (sequential)");
            Line($"");
            Line($"| request | keys stored | response bytes | requests | errors | req/s | p50 ms | p95 ms | p99 ms | max ms |");
            Line($"|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|");
            foreach (var r in Gets)
            {
                var s = r.Stats;
                Line($"| `{r.Request}` | {r.Keys} | {r.ResponseBytes} | {s.Requests} | {s.Failed} | {s.RequestsPerSecond:F1} | {s.P50:F2} | {s.P95:F2} | {s.P99:F2} | {s.Max:F2} |");
            }
        }

        var errors = Closed.Select(r => ($"{Name(r.Padding)} c={r.Concurrency}", r.Stats.Errors))
            .Concat(Open.Select(r => ($"{Name(r.Padding)} open {r.Rate:F0}/s", r.Stats.Errors)))
            .Concat(Soak.Select(r => ($"soak to {r.DecryptsSoFar}", r.Stats.Errors)))
            .Concat(SideBySide.Select(r => ($"side-by-side pair {r.Pair}", r.Stats.Errors)))
            .Concat(Keygen.Select(r => (r.Mode, r.Stats.Errors)))
            .Concat(Gets.Select(r => (r.Request, r.Stats.Errors)))
            .SelectMany(x => x.Errors.Select(e => (Run: x.Item1, Kind: e.Key, Count: e.Value)))
            .ToList();
        Line($"");
        Line($"### Errors by kind");
        Line($"");
        if (errors.Count == 0)
        {
            Line($"None: every request answered 2xx and every decrypt returned its secret.");
        }
        else
        {
            Line($"| run | kind | count |");
            Line($"|---|---|---:|");
            foreach (var (run, kind, count) in errors)
            {
                Line($"| {run} | {kind} | {count} |");
            }
        }

        return md.ToString();
    }

    /// <summary>Lines of <c>key=value</c> (invariant numbers) for run.sh.</summary>
    public IEnumerable<string> SummaryLines()
    {
        string L(FormattableString text) => text.ToString(CultureInfo.InvariantCulture);
        foreach (var r in Closed)
        {
            var prefix = $"decrypt_{Name(r.Padding)}_c{r.Concurrency}";
            yield return L($"{prefix}_per_s={r.Stats.OkPerSecond:F1}");
            yield return L($"{prefix}_p50_ms={r.Stats.P50:F2}");
            yield return L($"{prefix}_p99_ms={r.Stats.P99:F2}");
            yield return L($"{prefix}_errors={r.Stats.Failed}");
            if (r.ServerCores is { } cores)
            {
                yield return L($"{prefix}_server_cores={cores:F2}");
            }
        }

        foreach (var r in Open)
        {
            yield return L($"open_{Name(r.Padding)}_rate={r.Rate:F0}");
            yield return L($"open_{Name(r.Padding)}_per_s={r.Stats.OkPerSecond:F1}");
            yield return L($"open_{Name(r.Padding)}_p99_ms={r.Stats.P99:F2}");
        }

        for (var i = 0; i < Soak.Count; i++)
        {
            yield return L($"soak_{i + 1}_decrypts={Soak[i].DecryptsSoFar}");
            yield return L($"soak_{i + 1}_errors={Soak[i].Stats.Failed}");
            if (Soak[i].ServerRssMiB is { } rss)
            {
                yield return L($"soak_{i + 1}_rss_mib={rss:F1}");
            }
        }

        foreach (var r in SideBySide)
        {
            yield return L($"pair_{r.Pair}_openssl_per_s={r.OpenSslPerSecond:F1}");
            yield return L($"pair_{r.Pair}_c16_per_s={r.Stats.OkPerSecond:F1}");
            yield return L($"pair_{r.Pair}_errors={r.Stats.Failed}");
            yield return L($"pair_{r.Pair}_openssl_ms={r.OpenSslMs:F3}");
            if (r.RsaMs is { } rsa)
            {
                yield return L($"pair_{r.Pair}_rsa_ms={rsa:F3}");
            }

            if (r.RestMs is { } rest)
            {
                yield return L($"pair_{r.Pair}_rest_ms={rest:F3}");
            }

            yield return L($"pair_{r.Pair}_loadgen_ms={r.LoadGenMs:F3}");
        }

        if (MedianRatio is { } median)
        {
            yield return L($"pairs_median_ratio={median:F2}");
        }

        foreach (var r in Keygen.Where(k => k.Workers == 1))
        {
            yield return L($"keygen_per_s={r.Stats.OkPerSecond:F2}");
        }

        foreach (var r in Gets.Where(g => g.Request == "GET /keypair"))
        {
            yield return L($"list_keys={r.Keys}");
            yield return L($"list_p50_ms={r.Stats.P50:F2}");
        }
    }

    private static string Name(Padding padding) => padding == Padding.Oaep ? "oaep" : "pkcs1";

    /// <summary>Two decimals (cores, ms), or n/a when not measured.</summary>
    private static string F2(double? value) => value is { } v ? v.ToString("F2", CultureInfo.InvariantCulture) : "n/a";
}
