using System.Diagnostics;
using System.Globalization;
using System.Security.Cryptography;
using System.Text.Json;

namespace LocalKeyManager.Bench.LoadGen;

/// <summary>A decrypt request built ahead of time: signed afresh on each send, body and hash fixed.</summary>
internal sealed record DecryptCase(Padding Padding, Uri Uri, byte[] Body, string? Hash, byte[] Secret);

/// <summary>Runs the phases in order and collects what the report needs.</summary>
internal sealed class Bench(Options options)
{
    private const string DecryptPath = LkmClient.BasePath + "decrypt";

    private readonly CpuMeter _cpu = new(options.ServerPid);

    public async Task<Report> RunAsync()
    {
        var report = new Report(options);
        await WaitForHealthAsync();

        using var admin = new LkmClient(options.Url, new HawkSigner(options.AdminId, options.AdminKey), options.PayloadHash);
        Log.Write($"registering genesys credential '{options.GenesysId}' as admin '{options.AdminId}'");
        var credential = await admin.CallAsync<CredentialDto>(HttpMethod.Post, LkmClient.BasePath + "auth", new { id = options.GenesysId });
        if (credential.Algorithm != "sha256")
        {
            throw new InvalidOperationException($"The service registered a '{credential.Algorithm}' credential; this client signs sha256 only.");
        }

        using var client = new LkmClient(options.Url, new HawkSigner(credential.Id, credential.AuthKey), options.PayloadHash);

        Log.Write($"creating {options.Keypairs} keypair(s) for the decrypt runs");
        var keypairs = new List<KeypairDto>();
        for (var i = 0; i < options.Keypairs; i++)
        {
            keypairs.Add(await client.CreateKeypairAsync());
        }

        DecryptCase[]? soakCases = null;
        var warmedUp = false;
        foreach (var padding in options.Paddings)
        {
            var cases = BuildCases(client, keypairs, padding);
            soakCases ??= cases;
            await SanityCheckAsync(client, cases, options.Ciphertexts);
            if (options.StartWarmup > 0 && !warmedUp)
            {
                warmedUp = true;
                Log.Write(string.Create(CultureInfo.InvariantCulture, $"start-up warm-up: {options.StartWarmup} s at concurrency 16, not measured"));
                await ClosedLoopAsync(client, cases, 16, options.StartWarmup);
            }

            var best = 0.0;
            double? at16 = null;
            foreach (var concurrency in options.Concurrency)
            {
                if (options.Warmup > 0)
                {
                    await ClosedLoopAsync(client, cases, concurrency, options.Warmup);
                }

                var before = _cpu.Take();
                var stats = await ClosedLoopAsync(client, cases, concurrency, options.Duration);
                var after = _cpu.Take();
                var (clientCores, serverCores) = CpuMeter.Cores(before, after);
                var (rsa, rest, _) = CpuMeter.PerDecrypt(before, after, stats.Ok);
                Log.Write(string.Create(CultureInfo.InvariantCulture, $"{Name(padding)} c={concurrency}: {stats.OkPerSecond:F1} decrypts/s, p50 {stats.P50:F2} ms, p99 {stats.P99:F2} ms, {stats.Failed} errors, server {serverCores:F2} cores, client {clientCores:F2} cores, CPU per decrypt RSA threads {rsa:F2} / rest {rest:F2} ms"));
                report.Closed.Add(new ClosedResult(padding, concurrency, stats, clientCores, serverCores));
                best = Math.Max(best, stats.OkPerSecond);
                if (concurrency == 16)
                {
                    at16 = stats.OkPerSecond;
                }
            }

            var rate = options.Rate ?? (options.RateFraction is { } fraction ? Math.Max(1, Math.Round((at16 ?? best) * fraction)) : (double?)null);
            if (rate is { } fixedRate)
            {
                if (options.OpenWarmup > 0)
                {
                    await OpenLoopAsync(client, cases, fixedRate, options.OpenWarmup, dumpTo: null);
                }

                var before = _cpu.Take();
                var (stats, maxInFlight) = await OpenLoopAsync(client, cases, fixedRate, options.Duration, options.LatencyDump);
                var (clientCores, serverCores) = CpuMeter.Cores(before, _cpu.Take());
                Log.Write(string.Create(CultureInfo.InvariantCulture, $"{Name(padding)} open loop {fixedRate:F0}/s: {stats.OkPerSecond:F1} decrypts/s, p50 {stats.P50:F2} ms, p99 {stats.P99:F2} ms, {stats.Failed} errors"));
                report.Open.Add(new OpenResult(padding, fixedRate, stats, maxInFlight, clientCores, serverCores));
            }
        }

        if (options.Soak > 0 && soakCases is not null)
        {
            var part = Math.Max(1, options.Soak / 3);
            Log.Write($"soak: {3L * part} decrypts at concurrency 16 in three parts");
            for (var i = 1; i <= 3; i++)
            {
                var stats = await ClosedLoopCountAsync(client, soakCases, 16, part);
                var rss = _cpu.ServerRssMiB();
                Log.Write(string.Create(CultureInfo.InvariantCulture, $"soak {i * part}: {stats.OkPerSecond:F1} decrypts/s, {stats.Failed} errors, service RSS {rss:F1} MiB"));
                report.Soak.Add(new SoakResult((long)i * part, stats, rss));
            }
        }

        if (options.SideBySide > 0 && soakCases is not null)
        {
            Log.Write($"side by side: {options.SideBySide} pair(s) of openssl speed, then concurrency 16");
            for (var i = 1; i <= options.SideBySide; i++)
            {
                var openssl = await OpenSsl.SpeedAsync(options.OpenSslSeconds);
                if (options.Warmup > 0)
                {
                    await ClosedLoopAsync(client, soakCases, 16, options.Warmup);
                }

                var before = _cpu.Take();
                var stats = await ClosedLoopAsync(client, soakCases, 16, options.Duration);
                var (rsa, rest, loadGen) = CpuMeter.PerDecrypt(before, _cpu.Take(), stats.Ok);
                Log.Write(string.Create(CultureInfo.InvariantCulture, $"pair {i}: openssl {openssl:F1} ops/s, c=16 {stats.OkPerSecond:F1} decrypts/s, ratio {stats.OkPerSecond / openssl:F2}, {stats.Failed} errors"));
                report.SideBySide.Add(new PairResult(i, openssl, stats, rsa, rest, loadGen));
            }
        }

        if (options.KeygenSeconds > 0)
        {
            Log.Write($"sequential keypair generation for {options.KeygenSeconds} s");
            report.Keygen.Add(new KeygenResult("sequential POST /keypair", 1, await KeygenAsync(client, 1, int.MaxValue, options.KeygenSeconds)));
        }

        if (options.ListSeconds > 0)
        {
            var existing = await client.CallAsync<List<KeypairDto>>(HttpMethod.Get, LkmClient.BasePath + "keypair");
            var missing = options.ListKeys - existing.Count;
            if (missing > 0)
            {
                Log.Write($"creating {missing} more keypair(s) with {options.CreateConcurrency} in parallel, to list {options.ListKeys}");
                var fill = await KeygenAsync(client, options.CreateConcurrency, missing, double.PositiveInfinity);
                report.Keygen.Add(new KeygenResult($"fill-up to {options.ListKeys} keys", options.CreateConcurrency, fill));
            }

            var ids = (await client.CallAsync<List<KeypairDto>>(HttpMethod.Get, LkmClient.BasePath + "keypair")).Select(k => k.Id).ToArray();
            Log.Write($"GET /keypair ({ids.Length} keys) for {options.ListSeconds} s");
            var (list, bytes) = await SequentialGetAsync(client, _ => LkmClient.BasePath + "keypair", options.ListSeconds);
            report.Gets.Add(new GetResult("GET /keypair", ids.Length, bytes, list));
            Log.Write($"GET /keypair/{{id}} for {options.ListSeconds} s");
            var (one, oneBytes) = await SequentialGetAsync(client, i => LkmClient.BasePath + "keypair/" + ids[i % ids.Length], options.ListSeconds);
            report.Gets.Add(new GetResult("GET /keypair/{id}", ids.Length, oneBytes, one));
        }

        return report;
    }

    private static string Name(Padding padding) => padding == Padding.Oaep ? "oaep" : "pkcs1";

    private async Task WaitForHealthAsync()
    {
        using var http = new HttpClient { Timeout = TimeSpan.FromSeconds(2) };
        var health = new Uri(options.Url, "health");
        var deadline = Stopwatch.GetTimestamp() + (long)(options.Wait * Stopwatch.Frequency);
        while (true)
        {
            try
            {
                using var response = await http.GetAsync(health);
                if (response.IsSuccessStatusCode)
                {
                    return;
                }
            }
            catch (HttpRequestException) when (Stopwatch.GetTimestamp() < deadline)
            {
            }
            catch (TaskCanceledException) when (Stopwatch.GetTimestamp() < deadline)
            {
            }

            if (Stopwatch.GetTimestamp() >= deadline)
            {
                throw new InvalidOperationException($"{health} did not answer 200 within {options.Wait} s.");
            }

            await Task.Delay(200);
        }
    }

    /// <summary>Random 32-byte secrets encrypted to each keypair's public key, as Genesys Cloud would.</summary>
    private DecryptCase[] BuildCases(LkmClient client, List<KeypairDto> keypairs, Padding padding)
    {
        var uri = client.Resolve(padding == Padding.Pkcs1 ? DecryptPath + "?decryptType=pkcs1" : DecryptPath);
        var rsaPadding = padding == Padding.Pkcs1 ? RSAEncryptionPadding.Pkcs1 : RSAEncryptionPadding.OaepSHA1;
        var cases = new List<DecryptCase>(keypairs.Count * options.Ciphertexts);
        foreach (var keypair in keypairs)
        {
            using var rsa = RSA.Create();
            rsa.ImportRSAPublicKey(Convert.FromBase64String(keypair.PublicKey), out _);
            if (rsa.KeySize != 3072)
            {
                Log.Write($"note: keypair {keypair.Id} is RSA-{rsa.KeySize}, not 3072");
            }

            for (var i = 0; i < options.Ciphertexts; i++)
            {
                var secret = RandomNumberGenerator.GetBytes(32);
                var body = LkmClient.Serialize(new DecryptBody(keypair.Id, Convert.ToBase64String(rsa.Encrypt(secret, rsaPadding))));
                cases.Add(new DecryptCase(padding, uri, body, client.HashOf(body), secret));
            }
        }

        return [.. cases];
    }

    /// <summary>One decrypt per keypair must work before anything is timed: a wrong signer or URL stops here.</summary>
    private static async Task SanityCheckAsync(LkmClient client, DecryptCase[] cases, int perKeypair)
    {
        for (var i = 0; i < cases.Length; i += perKeypair)
        {
            var error = await DecryptOnceAsync(client, cases[i]);
            if (error is not null)
            {
                throw new InvalidOperationException($"Sanity decrypt ({cases[i].Padding}) failed: {error}. Nothing was measured.");
            }
        }
    }

#pragma warning disable CA5394 // which ciphertext to send next needs no secure randomness
    private static DecryptCase Pick(Random random, DecryptCase[] cases) => cases[random.Next(cases.Length)];
#pragma warning restore CA5394

    /// <summary>Null on success; otherwise the kind of failure, for the errors table.</summary>
    private static async Task<string?> DecryptOnceAsync(LkmClient client, DecryptCase c)
    {
        try
        {
            using var response = await client.SendAsync(HttpMethod.Post, c.Uri, c.Body, c.Hash);
            if (!response.IsSuccessStatusCode)
            {
                return LkmClient.Describe(response);
            }

            var bytes = await response.Content.ReadAsByteArrayAsync();
            return PlaintextMatches(bytes, c.Secret) ? null : "plaintext mismatch";
        }
#pragma warning disable CA1031 // every failure is counted by kind, none stops the run
        catch (Exception e)
#pragma warning restore CA1031
        {
            return LkmClient.Describe(e);
        }
    }

    private static bool PlaintextMatches(byte[] json, byte[] secret)
    {
        try
        {
            using var document = JsonDocument.Parse(json);
            return document.RootElement.TryGetProperty("body", out var body) &&
                body.ValueKind == JsonValueKind.String &&
                body.GetBytesFromBase64().AsSpan().SequenceEqual(secret);
        }
        catch (Exception e) when (e is JsonException or FormatException or InvalidOperationException)
        {
            return false;
        }
    }

    /// <summary>N workers, each sending its next request as soon as the previous one answered.</summary>
    private static async Task<Stats> ClosedLoopAsync(LkmClient client, DecryptCase[] cases, int concurrency, double seconds)
    {
        var recorder = new Recorder();
        var started = Stopwatch.GetTimestamp();
        var deadline = started + (long)(seconds * Stopwatch.Frequency);
        var workers = new Task[concurrency];
        for (var w = 0; w < concurrency; w++)
        {
            var seed = w;
            workers[w] = Task.Run(async () =>
            {
                var random = new Random(seed);
                while (Stopwatch.GetTimestamp() < deadline)
                {
                    var c = Pick(random, cases);
                    var start = Stopwatch.GetTimestamp();
                    var error = await DecryptOnceAsync(client, c);
                    recorder.Record(start, Stopwatch.GetTimestamp(), error);
                }
            });
        }

        await Task.WhenAll(workers);
        return recorder.Snapshot(Stopwatch.GetElapsedTime(started));
    }

    /// <summary>As <see cref="ClosedLoopAsync"/>, for a number of requests instead of a time.</summary>
    private static async Task<Stats> ClosedLoopCountAsync(LkmClient client, DecryptCase[] cases, int concurrency, int count)
    {
        var recorder = new Recorder();
        var started = Stopwatch.GetTimestamp();
        var issued = 0;
        var workers = new Task[concurrency];
        for (var w = 0; w < concurrency; w++)
        {
            var seed = w;
            workers[w] = Task.Run(async () =>
            {
                var random = new Random(seed);
                while (Interlocked.Increment(ref issued) <= count)
                {
                    var c = Pick(random, cases);
                    var start = Stopwatch.GetTimestamp();
                    var error = await DecryptOnceAsync(client, c);
                    recorder.Record(start, Stopwatch.GetTimestamp(), error);
                }
            });
        }

        await Task.WhenAll(workers);
        return recorder.Snapshot(Stopwatch.GetElapsedTime(started));
    }

    /// <summary>
    /// Requests issued on a fixed schedule whatever the answers do; latency counts from the
    /// scheduled time, so a stalled service shows as latency instead of fewer samples.
    /// With <paramref name="dumpTo"/>, every request's timings are written there (see --latency-dump).
    /// </summary>
    private static async Task<(Stats Stats, int MaxInFlight)> OpenLoopAsync(LkmClient client, DecryptCase[] cases, double rate, double seconds, string? dumpTo)
    {
        var recorder = new Recorder();
        var total = (long)Math.Floor(rate * seconds);
        var interval = Stopwatch.Frequency / rate;
        var tasks = new List<Task>((int)Math.Min(total, 1_000_000));
        var inFlight = 0;
        var maxInFlight = 0;
        var random = new Random(12345);
        var timings = dumpTo is null ? null : new (long Scheduled, long Began, long Ended)[total];
        var started = Stopwatch.GetTimestamp();
        for (long i = 0; i < total; i++)
        {
            var scheduled = started + (long)(i * interval);
            var wait = scheduled - Stopwatch.GetTimestamp();
            if (wait * 1000 >= Stopwatch.Frequency)
            {
                await Task.Delay(TimeSpan.FromSeconds((double)wait / Stopwatch.Frequency));
            }

            var c = Pick(random, cases);
            var index = i;
            tasks.Add(Task.Run(async () =>
            {
                var now = Interlocked.Increment(ref inFlight);
                int seen;
                while (now > (seen = Volatile.Read(ref maxInFlight)) && Interlocked.CompareExchange(ref maxInFlight, now, seen) != seen)
                {
                }

                var began = Stopwatch.GetTimestamp();
                var error = await DecryptOnceAsync(client, c);
                var ended = Stopwatch.GetTimestamp();
                recorder.Record(scheduled, ended, error);
                if (timings is not null)
                {
                    timings[index] = (scheduled, began, ended);
                }

                Interlocked.Decrement(ref inFlight);
            }));
        }

        await Task.WhenAll(tasks);
        if (timings is not null)
        {
            static double Ms(long ticks) => ticks * 1000.0 / Stopwatch.Frequency;
            await File.WriteAllLinesAsync(dumpTo!, timings.Select(t => string.Create(
                CultureInfo.InvariantCulture, $"{Ms(t.Scheduled - started):F3} {Ms(t.Began - t.Scheduled):F3} {Ms(t.Ended - t.Scheduled):F3}")));
        }

        return (recorder.Snapshot(Stopwatch.GetElapsedTime(started)), maxInFlight);
    }

    /// <summary><paramref name="workers"/> loops of POST /keypair until <paramref name="count"/> keys or the time is up.</summary>
    private static async Task<Stats> KeygenAsync(LkmClient client, int workers, int count, double seconds)
    {
        var recorder = new Recorder();
        var remaining = count;
        var done = 0;
        var started = Stopwatch.GetTimestamp();
        var deadline = double.IsPositiveInfinity(seconds) ? long.MaxValue : started + (long)(seconds * Stopwatch.Frequency);
        var uri = client.Resolve(LkmClient.BasePath + "keypair");
        var tasks = Enumerable.Range(0, workers).Select(_ => Task.Run(async () =>
        {
            while (Stopwatch.GetTimestamp() < deadline && Interlocked.Decrement(ref remaining) >= 0)
            {
                var start = Stopwatch.GetTimestamp();
                string? error;
                try
                {
                    using var response = await client.SendAsync(HttpMethod.Post, uri, null, null);
                    error = response.IsSuccessStatusCode ? null : LkmClient.Describe(response);
                }
#pragma warning disable CA1031 // every failure is counted by kind, none stops the run
                catch (Exception e)
#pragma warning restore CA1031
                {
                    error = LkmClient.Describe(e);
                }

                recorder.Record(start, Stopwatch.GetTimestamp(), error);
                var n = Interlocked.Increment(ref done);
                if (count != int.MaxValue && n % 50 == 0)
                {
                    Log.Write($"  {n}/{count} keypairs created");
                }
            }
        }));
        await Task.WhenAll(tasks);
        return recorder.Snapshot(Stopwatch.GetElapsedTime(started));
    }

    /// <summary>Sequential GETs for the given time; also the size of the last successful body.</summary>
    private static async Task<(Stats Stats, long Bytes)> SequentialGetAsync(LkmClient client, Func<int, string> path, double seconds)
    {
        var recorder = new Recorder();
        long bytes = 0;
        var started = Stopwatch.GetTimestamp();
        var deadline = started + (long)(seconds * Stopwatch.Frequency);
        for (var i = 0; Stopwatch.GetTimestamp() < deadline; i++)
        {
            var start = Stopwatch.GetTimestamp();
            string? error;
            try
            {
                using var response = await client.SendAsync(HttpMethod.Get, client.Resolve(path(i)), null, null);
                var body = await response.Content.ReadAsByteArrayAsync();
                error = response.IsSuccessStatusCode ? null : LkmClient.Describe(response);
                if (error is null)
                {
                    bytes = body.Length;
                }
            }
#pragma warning disable CA1031 // every failure is counted by kind, none stops the run
            catch (Exception e)
#pragma warning restore CA1031
            {
                error = LkmClient.Describe(e);
            }

            recorder.Record(start, Stopwatch.GetTimestamp(), error);
        }

        return (recorder.Snapshot(Stopwatch.GetElapsedTime(started)), bytes);
    }
}
