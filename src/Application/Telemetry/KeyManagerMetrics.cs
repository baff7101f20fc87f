using System.Diagnostics;
using System.Diagnostics.Metrics;
using LocalKeyManager.Domain.Crypto;

namespace LocalKeyManager.Application.Telemetry;

/// <summary>
/// The service's own instruments (meter <c>LocalKeyManager</c>, scraped at <c>/metrics</c>):
/// decrypts by outcome and padding, decrypt latency, authentication failures by reason, and
/// request-log write latency. Tags are closed sets: never an id, a key or anything a caller chose.
/// </summary>
public sealed class KeyManagerMetrics
{
    public const string MeterName = "LocalKeyManager";

    private readonly Counter<long> _decrypts;
    private readonly Histogram<double> _decryptDuration;
    private readonly Counter<long> _authFailures;
    private readonly Histogram<double> _logWriteDuration;
    private volatile IReadOnlyDictionary<string, long> _keypairsByState = new Dictionary<string, long>();

    public KeyManagerMetrics(IMeterFactory meterFactory)
    {
        var meter = meterFactory.Create(MeterName);
        _decrypts = meter.CreateCounter<long>("lkm.decrypts", description: "Decrypt requests by outcome and padding");
        _decryptDuration = meter.CreateHistogram<double>("lkm.decrypt.duration", unit: "ms", description: "Time to decrypt, from the handler's start");
        _authFailures = meter.CreateCounter<long>("lkm.auth.failures", description: "Failed Hawk authentications by reason");
        _logWriteDuration = meter.CreateHistogram<double>("lkm.request_log.write.duration", unit: "ms", description: "Time to commit a group of request-log entries and replay records");
        meter.CreateObservableGauge("lkm.keypairs", () => _keypairsByState.Select(s => new Measurement<long>(s.Value, new KeyValuePair<string, object?>("state", s.Key))), description: "Keypairs by state (refreshed every 30 s)");
    }

    /// <param name="outcome"><c>ok</c>, <c>undecryptable</c>, <c>unknown_keypair</c> or <c>refused_state</c>.</param>
    public void Decrypted(string outcome, RsaPadding padding, TimeSpan elapsed)
    {
        var tags = new TagList { { "outcome", outcome }, { "padding", padding == RsaPadding.Pkcs1 ? "pkcs1" : "oaep" } };
        _decrypts.Add(1, tags);
        _decryptDuration.Record(elapsed.TotalMilliseconds, tags);
    }

    /// <param name="reason">One of the fixed failure reasons (bad_mac, stale, replay, unknown_id, ...).</param>
    public void AuthenticationFailed(string reason) => _authFailures.Add(1, new KeyValuePair<string, object?>("reason", reason));

    /// <summary>The latest count of keypairs per state (wire names), read by the gauge on each scrape.</summary>
    public void KeypairsCounted(IReadOnlyDictionary<string, long> byState) => _keypairsByState = byState;

    public void RequestLogWritten(TimeSpan elapsed, int writes) =>
        _logWriteDuration.Record(elapsed.TotalMilliseconds, new KeyValuePair<string, object?>("batch", writes switch { 1 => "1", <= 16 => "2-16", _ => "17+" }));
}
