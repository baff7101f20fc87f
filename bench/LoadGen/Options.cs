using System.Globalization;

namespace LocalKeyManager.Bench.LoadGen;

internal enum Padding
{
    Oaep,
    Pkcs1,
}

/// <summary>Command-line options; every one has a default except the URL and the admin credential.</summary>
internal sealed class Options
{
    public const string Usage = """
        lkm-loadgen: load generator for the Local Key Manager (Hawk-signed, over a real socket)

          --url URL                 service base, e.g. http://127.0.0.1:5000 (required)
          --admin-id ID             an admin credential id (required)
          --admin-key KEY           its authKey (required; or env LKM_BENCH_ADMIN_KEY)
          --keypairs N              keypairs created for the decrypt runs (default 4)
          --ciphertexts N           ciphertexts per keypair and padding (default 32)
          --duration S              measured seconds per level (default 10)
          --warmup S                unmeasured seconds before each level (default 2)
          --start-warmup S          unmeasured seconds at concurrency 16 before the first level, for
                                    the runtime's tiered compilation to settle (default 45: it goes
                                    on for 30-45 s of load after the first requests)
          --concurrency LIST        closed-loop levels, comma separated (default 1,4,16,64)
          --rate R|auto|auto:F|0    open-loop run at R requests/s; auto = 0.7 (or F) x the concurrency-16
                                    closed-loop rate (else the best one); 0 = no open-loop run
                                    (default 0)
          --open-warmup S           unmeasured seconds at the open-loop rate before it is measured
                                    (default 10: it follows the heaviest level, and a steady state
                                    is what "latency at 50% load" means)
          --padding oaep|pkcs1|both decrypt padding; both runs every level for each (default oaep)
          --payload-hash            sign the body hash too (Hawk "hash" attribute)
          --keygen-seconds S        sequential POST /keypair for S seconds (default 5; 0 = skip)
          --soak N                  after the levels, N more decrypts at concurrency 16 in three
                                    equal parts, with the service's RSS after each (needs
                                    --server-pid; default 0 = skip)
          --list-keys N             before the reads, create keypairs until at least N exist
                                    (default 200; RSA-3072 generation is slow: 10,000 keys take
                                    on the order of an hour on a 2-core machine)
          --list-seconds S          measured seconds of GET /keypair, then of GET /keypair/{id}
                                    (default 5; 0 = skip the reads and the fill-up)
          --create-concurrency N    parallel POST /keypair while filling up to --list-keys (default 2)
          --genesys-id ID           id of the genesys credential to register (default random)
          --out PATH                write the markdown report there (also printed on stdout)
          --summary PATH            write key=value lines for scripts
          --latency-dump PATH       write the measured open-loop run's requests there, one per line
                                    in schedule order: scheduled time (ms from the run's start),
                                    how late the client began sending it (ms), its latency (ms);
                                    to tell a client's own stalls from the service's in a tail
          --side-by-side N          after the soak, N pairs of `openssl speed -multi <cores> rsa3072`
                                    then a concurrency-16 level (--warmup, then --duration), one
                                    right after the other, each pair's ratio reported: the two sides
                                    of a ratio measured a minute apart on a noisy machine (default 0)
          --openssl-seconds S       seconds of each `openssl speed` in --side-by-side (default 5)
          --wait S                  wait up to S seconds for GET /health first (default 30)
          --server-pid PID          the service's process id (same machine, Linux): report the
                                    CPU cores it used per level
        """;

    public Uri Url { get; private set; } = null!;

    public string AdminId { get; private set; } = string.Empty;

    public string AdminKey { get; private set; } = string.Empty;

    public int Keypairs { get; private set; } = 4;

    public int Ciphertexts { get; private set; } = 32;

    public double Duration { get; private set; } = 10;

    public double Warmup { get; private set; } = 2;

    public double StartWarmup { get; private set; } = 45;

    public IReadOnlyList<int> Concurrency { get; private set; } = [1, 4, 16, 64];

    /// <summary>Null: no open-loop run; otherwise a fixed rate or a fraction of the closed-loop peak.</summary>
    public double? Rate { get; private set; }

    public double? RateFraction { get; private set; }

    public double OpenWarmup { get; private set; } = 10;

    public IReadOnlyList<Padding> Paddings { get; private set; } = [Padding.Oaep];

    public bool PayloadHash { get; private set; }

    public double KeygenSeconds { get; private set; } = 5;

    public int Soak { get; private set; }

    public int ListKeys { get; private set; } = 200;

    public double ListSeconds { get; private set; } = 5;

    public int CreateConcurrency { get; private set; } = 2;

    public string GenesysId { get; private set; } = "bench-genesys-" + Convert.ToHexStringLower(System.Security.Cryptography.RandomNumberGenerator.GetBytes(4));

    public string? Out { get; private set; }

    public string? Summary { get; private set; }

    public string? LatencyDump { get; private set; }

    public int SideBySide { get; private set; }

    public int OpenSslSeconds { get; private set; } = 5;

    public double Wait { get; private set; } = 30;

    public int? ServerPid { get; private set; }

    public static Options Parse(string[] args)
    {
        var options = new Options { AdminKey = Environment.GetEnvironmentVariable("LKM_BENCH_ADMIN_KEY") ?? string.Empty };
        for (var i = 0; i < args.Length; i++)
        {
            var arg = args[i];
            string? inline = null;
            var equals = arg.IndexOf('=', StringComparison.Ordinal);
            if (arg.StartsWith("--", StringComparison.Ordinal) && equals > 0)
            {
                inline = arg[(equals + 1)..];
                arg = arg[..equals];
            }

            string Value()
            {
                if (inline is not null)
                {
                    return inline;
                }

                if (i + 1 >= args.Length)
                {
                    throw new ArgumentException($"{arg} needs a value.");
                }

                return args[++i];
            }

            switch (arg)
            {
                case "--url":
                    options.Url = new Uri(Value().TrimEnd('/') + "/", UriKind.Absolute);
                    break;
                case "--admin-id":
                    options.AdminId = Value();
                    break;
                case "--admin-key":
                    options.AdminKey = Value();
                    break;
                case "--keypairs":
                    options.Keypairs = Int(arg, Value(), 1);
                    break;
                case "--ciphertexts":
                    options.Ciphertexts = Int(arg, Value(), 1);
                    break;
                case "--duration":
                    options.Duration = Number(arg, Value(), 0.1);
                    break;
                case "--warmup":
                    options.Warmup = Number(arg, Value(), 0);
                    break;
                case "--start-warmup":
                    options.StartWarmup = Number(arg, Value(), 0);
                    break;
                case "--concurrency":
                    options.Concurrency = [.. Value().Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries).Select(v => Int(arg, v, 1))];
                    break;
                case "--rate":
                    ParseRate(options, Value());
                    break;
                case "--padding":
                    options.Paddings = Value().ToLowerInvariant() switch
                    {
                        "oaep" => [Padding.Oaep],
                        "pkcs1" => [Padding.Pkcs1],
                        "both" => [Padding.Oaep, Padding.Pkcs1],
                        var other => throw new ArgumentException($"--padding must be oaep, pkcs1 or both, not '{other}'."),
                    };
                    break;
                case "--payload-hash":
                    options.PayloadHash = inline is null || bool.Parse(inline);
                    break;
                case "--keygen-seconds":
                    options.KeygenSeconds = Number(arg, Value(), 0);
                    break;
                case "--open-warmup":
                    options.OpenWarmup = Number(arg, Value(), 0);
                    break;
                case "--soak":
                    options.Soak = Int(arg, Value(), 0);
                    break;
                case "--list-keys":
                    options.ListKeys = Int(arg, Value(), 0);
                    break;
                case "--list-seconds":
                    options.ListSeconds = Number(arg, Value(), 0);
                    break;
                case "--create-concurrency":
                    options.CreateConcurrency = Int(arg, Value(), 1);
                    break;
                case "--genesys-id":
                    options.GenesysId = Value();
                    break;
                case "--out":
                    options.Out = Value();
                    break;
                case "--summary":
                    options.Summary = Value();
                    break;
                case "--latency-dump":
                    options.LatencyDump = Value();
                    break;
                case "--side-by-side":
                    options.SideBySide = Int(arg, Value(), 0);
                    break;
                case "--openssl-seconds":
                    options.OpenSslSeconds = Int(arg, Value(), 1);
                    break;
                case "--wait":
                    options.Wait = Number(arg, Value(), 0);
                    break;
                case "--server-pid":
                    options.ServerPid = Int(arg, Value(), 1);
                    break;
                default:
                    throw new ArgumentException($"Unknown argument '{arg}'.");
            }
        }

        if (options.Url is null || options.AdminId.Length == 0 || options.AdminKey.Length == 0)
        {
            throw new ArgumentException("--url, --admin-id and --admin-key are required.");
        }

        if (options.Concurrency.Count == 0)
        {
            throw new ArgumentException("--concurrency needs at least one level.");
        }

        return options;
    }

    private static void ParseRate(Options options, string value)
    {
        if (value.StartsWith("auto", StringComparison.OrdinalIgnoreCase))
        {
            options.RateFraction = value.Length > 5 && value[4] == ':' ? Number("--rate", value[5..], 0.01) : 0.7;
            options.Rate = null;
            return;
        }

        var rate = Number("--rate", value, 0);
        options.Rate = rate > 0 ? rate : null;
        options.RateFraction = null;
    }

    private static int Int(string name, string value, int min) =>
        int.TryParse(value, NumberStyles.Integer, CultureInfo.InvariantCulture, out var result) && result >= min
            ? result
            : throw new ArgumentException($"{name} must be an integer >= {min}, not '{value}'.");

    private static double Number(string name, string value, double min) =>
        double.TryParse(value, NumberStyles.Float, CultureInfo.InvariantCulture, out var result) && result >= min
            ? result
            : throw new ArgumentException($"{name} must be a number >= {min}, not '{value}'.");
}
