using System.Diagnostics;

namespace LocalKeyManager.Api.FunctionalTests;

internal static class MetricsScrape
{
    /// <summary>
    /// The Prometheus text once it shows every one of <paramref name="expected"/>, or as it is after
    /// 5 s. The exporter serves a cached scrape for 300 ms, so a scrape right after another one (a
    /// test before this one on the same service) can predate what the test just did.
    /// </summary>
    public static async Task<string> ScrapeAsync(HttpClient client, string path, params string[] expected)
    {
        var waited = Stopwatch.StartNew();
        while (true)
        {
            var text = await client.GetStringAsync(path, TestContext.Current.CancellationToken);
            if (expected.All(e => text.Contains(e, StringComparison.Ordinal)) || waited.Elapsed > TimeSpan.FromSeconds(5))
            {
                return text;
            }

            await Task.Delay(100, TestContext.Current.CancellationToken);
        }
    }
}
