using System.Globalization;
using System.Runtime.InteropServices;
using LocalKeyManager.Bench.LoadGen;

try
{
    if (args is ["--help"] or ["-h"])
    {
        Console.WriteLine(Options.Usage);
        return 0;
    }

    HawkSigner.SelfTest();
    var options = Options.Parse(args);
    var report = await new Bench(options).RunAsync();
    var markdown = report.ToMarkdown();
    Console.WriteLine(markdown);
    if (options.Out is not null)
    {
        Directory.CreateDirectory(Path.GetDirectoryName(Path.GetFullPath(options.Out))!);
        await File.WriteAllTextAsync(options.Out, markdown);
    }

    if (options.Summary is not null)
    {
        await File.WriteAllLinesAsync(options.Summary, report.SummaryLines());
    }

    return 0;
}
catch (ArgumentException e)
{
    await Console.Error.WriteLineAsync("lkm-loadgen: " + e.Message);
    await Console.Error.WriteLineAsync(Options.Usage);
    return 2;
}
#pragma warning disable CA1031 // the top level reports any failure as one line and an exit code
catch (Exception e)
#pragma warning restore CA1031
{
    await Console.Error.WriteLineAsync("lkm-loadgen: " + e.Message);
    return 1;
}

namespace LocalKeyManager.Bench.LoadGen
{
    /// <summary>Progress lines on stderr, so stdout is the report alone.</summary>
    internal static class Log
    {
        public static void Write(string message) =>
            Console.Error.WriteLine(DateTime.Now.ToString("HH:mm:ss", CultureInfo.InvariantCulture) + " " + message);
    }

    internal static class Machine
    {
        public static string Describe() => string.Create(
            CultureInfo.InvariantCulture,
            $"{Environment.ProcessorCount} logical CPUs, {RuntimeInformation.OSDescription}, {RuntimeInformation.FrameworkDescription}");
    }
}
