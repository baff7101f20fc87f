using System.Diagnostics;
using System.Globalization;

namespace LocalKeyManager.Bench.LoadGen;

/// <summary><c>openssl speed</c>'s RSA-3072 private-key rate on every core, the ceiling a decrypt is measured against.</summary>
internal static class OpenSsl
{
    public static async Task<double> SpeedAsync(int seconds)
    {
        var start = new ProcessStartInfo("openssl")
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
        };
        foreach (var arg in new[] { "speed", "-seconds", seconds.ToString(CultureInfo.InvariantCulture), "-multi", Environment.ProcessorCount.ToString(CultureInfo.InvariantCulture), "rsa3072" })
        {
            start.ArgumentList.Add(arg);
        }

        using var process = Process.Start(start) ?? throw new InvalidOperationException("could not start openssl");
        var stderr = process.StandardError.ReadToEndAsync();
        var output = await process.StandardOutput.ReadToEndAsync();
        await process.WaitForExitAsync();
        await stderr;
        return SignPerSecond(output) ?? throw new InvalidOperationException($"openssl speed gave no rsa 3072 sign/s rate (exit {process.ExitCode}).");
    }

    /// <summary>
    /// The header names the columns ("sign verify sign/s verify/s", more in OpenSSL 3.2 and later);
    /// the data line starts with "rsa 3072 bits", so column i of the header is field i + 3 of it
    /// (as bench/run.sh reads it).
    /// </summary>
    internal static double? SignPerSecond(string output)
    {
        int? column = null;
        double? rate = null;
        foreach (var line in output.Split('\n'))
        {
            var fields = line.Split((char[]?)null, StringSplitOptions.RemoveEmptyEntries);
            var sign = Array.IndexOf(fields, "sign/s");
            if (sign >= 0)
            {
                column = sign;
            }
            else if (column is { } c && line.StartsWith("rsa 3072 bits", StringComparison.Ordinal) && fields.Length > c + 3
                     && double.TryParse(fields[c + 3], NumberStyles.Float, CultureInfo.InvariantCulture, out var value))
            {
                rate = value;
            }
        }

        return rate;
    }
}
