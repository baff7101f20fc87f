using System.Collections.Concurrent;

namespace LocalKeyManager.Infrastructure.Persistence;

/// <summary>
/// A small read-through memory of rows that every request reads (its credential, its keypair),
/// each kept for a fixed short time so that changes made on another instance arrive within a
/// known bound. With <paramref name="rememberAbsence"/>, "no such row" is remembered as well, so
/// a known and an unknown id cost the same time (no timing oracle for which ids exist).
/// Bounded: past the limit it starts over.
/// </summary>
public sealed class RecentReads<TKey, TValue>(TimeSpan lifetime, bool rememberAbsence = false, int maxEntries = 10_000)
    where TKey : notnull
    where TValue : class
{
    private readonly ConcurrentDictionary<TKey, (TValue? Value, long ExpiresAt)> _entries = new();

    public async Task<TValue?> GetAsync(TKey key, Func<TKey, Task<TValue?>> load)
    {
        var now = Environment.TickCount64;
        if (_entries.TryGetValue(key, out var entry) && entry.ExpiresAt > now)
        {
            return entry.Value;
        }

        var value = await load(key);
        if (value is null && !rememberAbsence)
        {
            _entries.TryRemove(key, out _);
            return null;
        }

        if (_entries.Count >= maxEntries)
        {
            _entries.Clear();
        }

        _entries[key] = (value, now + (long)lifetime.TotalMilliseconds);
        return value;
    }

    /// <summary>Forgets a row this instance has just changed, so it sees its own change at once.</summary>
    public void Forget(TKey key) => _entries.TryRemove(key, out _);
}
