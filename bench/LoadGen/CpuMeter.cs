using System.Diagnostics;
using System.Globalization;

namespace LocalKeyManager.Bench.LoadGen;

/// <summary>
/// CPU time of this process and, on Linux with <c>--server-pid</c>, of the service, so a level's
/// report says how many cores each side used (on one machine they compete for the same cores).
/// </summary>
internal sealed class CpuMeter(int? serverPid)
{
    // /proc/<pid>/stat counts in USER_HZ ticks, which the kernel ABI fixes at 100 per second.
    private const double TicksPerSecond = 100;

    public Sample Take()
    {
        using var self = Process.GetCurrentProcess();
        return new(Stopwatch.GetTimestamp(), self.TotalProcessorTime.TotalSeconds, ServerSeconds(), ServerRsaSeconds());
    }

    /// <summary>
    /// CPU per decrypt between two samples, in milliseconds of a core: the service's RSA worker
    /// threads (<c>lkm-rsa-*</c>; null for a server without them), the rest of the service, and
    /// this process. Unlike a rate, these hardly move with the machine's mood between runs.
    /// </summary>
    public static (double? Rsa, double? Others, double Client) PerDecrypt(Sample from, Sample to, long decrypts)
    {
        if (decrypts <= 0)
        {
            return (null, null, double.NaN);
        }

        double Ms(double seconds) => 1000 * seconds / decrypts;
        double? server = from.ServerSeconds is { } a && to.ServerSeconds is { } b ? b - a : null;
        double? rsa = from.ServerRsaSeconds is { } c && to.ServerRsaSeconds is { } d ? d - c : null;
        return (rsa is { } r ? Ms(r) : null, server is { } all ? Ms(all - (rsa ?? 0)) : null, Ms(to.ClientSeconds - from.ClientSeconds));
    }

    /// <summary>Cores used between two samples: CPU seconds over wall seconds.</summary>
    public static (double Client, double? Server) Cores(Sample from, Sample to)
    {
        var wall = (double)(to.Timestamp - from.Timestamp) / Stopwatch.Frequency;
        if (wall <= 0)
        {
            return (double.NaN, null);
        }

        double? server = from.ServerSeconds is { } a && to.ServerSeconds is { } b ? (b - a) / wall : null;
        return ((to.ClientSeconds - from.ClientSeconds) / wall, server);
    }

    /// <summary>The service's resident set size (VmRSS) in MiB, when its pid is known.</summary>
    public double? ServerRssMiB()
    {
        if (serverPid is not { } pid)
        {
            return null;
        }

        try
        {
            var line = File.ReadLines($"/proc/{pid.ToString(CultureInfo.InvariantCulture)}/status").FirstOrDefault(l => l.StartsWith("VmRSS:", StringComparison.Ordinal));
            return line is null ? null : long.Parse(line.Split(' ', StringSplitOptions.RemoveEmptyEntries)[1], CultureInfo.InvariantCulture) / 1024.0;
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException or FormatException)
        {
            return null;
        }
    }

    private double? ServerSeconds()
    {
        if (serverPid is not { } pid)
        {
            return null;
        }

        try
        {
            return Seconds(File.ReadAllText($"/proc/{pid.ToString(CultureInfo.InvariantCulture)}/stat"));
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException or FormatException or IndexOutOfRangeException)
        {
            return null;
        }
    }

    /// <summary>CPU seconds of the service's <c>lkm-rsa-*</c> threads; null without such threads.</summary>
    private double? ServerRsaSeconds()
    {
        if (serverPid is not { } pid)
        {
            return null;
        }

        try
        {
            double? sum = null;
            foreach (var task in Directory.EnumerateDirectories($"/proc/{pid.ToString(CultureInfo.InvariantCulture)}/task"))
            {
                if (File.ReadAllText(Path.Combine(task, "comm")).StartsWith("lkm-rsa-", StringComparison.Ordinal))
                {
                    sum = (sum ?? 0) + Seconds(File.ReadAllText(Path.Combine(task, "stat")));
                }
            }

            return sum;
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException or FormatException or IndexOutOfRangeException)
        {
            return null;
        }
    }

    /// <summary>utime + stime of a <c>/proc/.../stat</c> line, in seconds.</summary>
    private static double Seconds(string stat)
    {
        // The command name is in parentheses and may hold spaces: count fields after the last ')'.
        // Fields 14 and 15 (utime, stime) are then the 12th and 13th.
        var fields = stat[(stat.LastIndexOf(')') + 2)..].Split(' ');
        return (long.Parse(fields[11], CultureInfo.InvariantCulture) + long.Parse(fields[12], CultureInfo.InvariantCulture)) / TicksPerSecond;
    }

    internal readonly record struct Sample(long Timestamp, double ClientSeconds, double? ServerSeconds, double? ServerRsaSeconds);
}
