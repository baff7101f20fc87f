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
        return new(Stopwatch.GetTimestamp(), self.TotalProcessorTime.TotalSeconds, ServerSeconds());
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
            var stat = File.ReadAllText($"/proc/{pid.ToString(CultureInfo.InvariantCulture)}/stat");
            // The command name is in parentheses and may hold spaces: count fields after the last ')'.
            // Fields 14 and 15 (utime, stime) are then the 12th and 13th.
            var fields = stat[(stat.LastIndexOf(')') + 2)..].Split(' ');
            return (long.Parse(fields[11], CultureInfo.InvariantCulture) + long.Parse(fields[12], CultureInfo.InvariantCulture)) / TicksPerSecond;
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException or FormatException or IndexOutOfRangeException)
        {
            return null;
        }
    }

    internal readonly record struct Sample(long Timestamp, double ClientSeconds, double? ServerSeconds);
}
