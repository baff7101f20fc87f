using System.Globalization;
using System.Runtime.CompilerServices;
using System.Text;
using BenchmarkDotNet.Configs;
using BenchmarkDotNet.Exporters;
using BenchmarkDotNet.Jobs;
using BenchmarkDotNet.Loggers;
using BenchmarkDotNet.Running;
using BenchmarkDotNet.Toolchains.InProcess.Emit;

namespace LocalKeyManager.Bench.Micro;

/// <summary>
/// A short job, run in this process: no generated project is built (that would rebuild src/ once
/// more per run), and the whole suite takes a few minutes. Good enough to compare alternatives
/// on one machine; not for absolute numbers to a few percent.
/// </summary>
public sealed class ShortInProcessConfig : ManualConfig
{
    public ShortInProcessConfig()
    {
        AddJob(Job.ShortRun.WithToolchain(InProcessEmitToolchain.Instance).WithId("ShortRun-InProcess"));
    }
}

public static class Program
{
    /// <summary>
    /// Runs the benchmarks BenchmarkDotNet's command line selects (<c>--filter '*'</c> for all) and
    /// writes their GitHub-markdown tables to bench/results/&lt;date&gt;-micro.md
    /// (<c>LKM_MICRO_RESULTS</c> overrides the path; empty: do not write).
    /// </summary>
    public static int Main(string[] args)
    {
        var config = DefaultConfig.Instance.WithArtifactsPath(Path.Combine(SourceDirectory(), "BenchmarkDotNet.Artifacts"));
        var summaries = BenchmarkSwitcher.FromAssembly(typeof(Program).Assembly).Run(args, config).ToList();
        if (summaries.Count == 0)
        {
            return 0;
        }

        var path = Environment.GetEnvironmentVariable("LKM_MICRO_RESULTS")
            ?? Path.Combine(SourceDirectory(), "..", "results", DateTime.Now.ToString("yyyy-MM-dd", CultureInfo.InvariantCulture) + "-micro.md");
        if (path.Length > 0)
        {
            var markdown = new StringBuilder()
                .AppendLine(CultureInfo.InvariantCulture, $"# LKM micro benchmarks, {DateTime.Now:yyyy-MM-dd}")
                .AppendLine()
                .AppendLine(CultureInfo.InvariantCulture, $"`dotnet run -c Release --project bench/Micro -- {string.Join(' ', args.Select(Quote))}` (BenchmarkDotNet, ShortRun job in process: 3 warm-up and 3 measured iterations; see bench/README.md).")
                .AppendLine();
            foreach (var summary in summaries)
            {
                var log = new AccumulationLogger();
                MarkdownExporter.GitHub.ExportToLog(summary, log);
                markdown.AppendLine(CultureInfo.InvariantCulture, $"## {summary.Title}").AppendLine().AppendLine(log.GetLog());
            }

            Directory.CreateDirectory(Path.GetDirectoryName(Path.GetFullPath(path))!);
            File.WriteAllText(path, markdown.ToString());
            Console.WriteLine("Markdown summary written to " + Path.GetFullPath(path));
        }

        return summaries.Any(s => s.HasCriticalValidationErrors || s.Reports.Any(r => !r.Success)) ? 1 : 0;
    }

    private static string Quote(string arg) => arg.Any(c => c is '*' or ' ' or '?' or '"') ? "'" + arg + "'" : arg;

    /// <summary>bench/Micro in the source tree this was built from, so output lands there whatever the working directory.</summary>
    /// <remarks>Falls back to the working directory when the path was mapped (deterministic CI builds).</remarks>
    private static string SourceDirectory([CallerFilePath] string file = "") =>
        Path.GetDirectoryName(file) is { } directory && Directory.Exists(directory) ? directory : Directory.GetCurrentDirectory();
}
