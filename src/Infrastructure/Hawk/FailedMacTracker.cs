using System.Collections.Concurrent;
using Microsoft.Extensions.Options;

namespace LocalKeyManager.Infrastructure.Hawk;

/// <summary>
/// Temporary lockout of a credential id after repeated bad MACs (<c>Hawk:LockoutThreshold</c>
/// within <c>Hawk:LockoutSeconds</c>, then locked for as long; off when the threshold is 0, the
/// default, because ids are not secret and a lockout lets anyone who knows one lock it out).
/// Per instance: behind a load balancer the effective threshold is the threshold per instance.
/// </summary>
public sealed class FailedMacTracker(IOptions<HawkOptions> options)
{
    private readonly ConcurrentDictionary<string, Window> _windows = new(StringComparer.Ordinal);

    public bool IsLockedOut(string id, long nowMs) =>
        options.Value.LockoutThreshold > 0 && _windows.TryGetValue(id, out var window) && window.LockedUntil > nowMs;

    public void RecordFailure(string id, long nowMs)
    {
        var threshold = options.Value.LockoutThreshold;
        if (threshold <= 0)
        {
            return;
        }

        if (_windows.Count > 100_000)
        {
            _windows.Clear();
        }

        var span = options.Value.LockoutSeconds * 1000L;
        _windows.AddOrUpdate(
            id,
            _ => new Window(nowMs, 1, 0),
            (_, w) =>
            {
                var current = nowMs - w.Start > span ? new Window(nowMs, 1, w.LockedUntil) : w with { Failures = w.Failures + 1 };
                return current.Failures >= threshold ? current with { LockedUntil = nowMs + span, Failures = 0, Start = nowMs } : current;
            });
    }

    private sealed record Window(long Start, int Failures, long LockedUntil);
}
