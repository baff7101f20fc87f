using System.Collections.Concurrent;
using Microsoft.Extensions.DependencyInjection;

namespace LocalKeyManager.Infrastructure.Persistence;

/// <summary>
/// A small read-through memory of rows that every request reads (its credential, its keypair),
/// each kept for a fixed short time so that changes made on another instance arrive within a
/// known bound. "No such row" is not remembered: a row created through another instance is found
/// by the next request here (API.md 7: usable through every instance at once), whatever this
/// instance was asked before. Bounded: past the limit it starts over.
/// <para>
/// A read runs once per id at a time, as <see cref="AbandonableDatabaseWork"/>, and callers wait
/// for it at most <see cref="MaxWait"/>: a database that hangs costs a request a bounded wait and
/// then a 503, whatever the driver does.
/// </para>
/// <para>
/// A row in use is read again before it runs out: a caller that finds it in its last quarter gets
/// it as it is and starts the next read, which nobody waits for. So under steady traffic no
/// request waits for a read (each one had cost the requests behind it 1-4 ms, sometimes tens, and
/// a few per second of them made the open-loop p99). The bound is unchanged: a row is given out at
/// most <c>lifetime</c> after its read began.
/// </para>
/// </summary>
public sealed class RecentReads<TKey, TValue>(IServiceScopeFactory scopes, TimeSpan lifetime, int maxEntries = 10_000)
    where TKey : notnull
    where TValue : class
{
    /// <summary>How long a request waits for a read; two of them and the request-log wait fit in API.md's 5 s.</summary>
    public static readonly TimeSpan MaxWait = TimeSpan.FromSeconds(2);

    private readonly ConcurrentDictionary<TKey, (TValue? Value, long ExpiresAt)> _entries = new();
    private readonly ConcurrentDictionary<TKey, Task<TValue?>> _reading = new();
    private readonly long _refreshWithin = (long)(lifetime.TotalMilliseconds / 4);

    /// <summary>Orders a read's end against <see cref="Forget"/> (both rare); lookups take no lock.</summary>
    private readonly Lock _ending = new();

    /// <summary>
    /// The row, from memory if read recently, else from the database through <paramref name="read"/>
    /// (given its own context). <paramref name="cancellationToken"/> only stops this caller's wait.
    /// </summary>
    /// <exception cref="TimeoutException">The read did not finish within <see cref="MaxWait"/>.</exception>
    public Task<TValue?> GetAsync(TKey key, Func<KeyManagerDbContext, TKey, TValue?> read, CancellationToken cancellationToken)
    {
        if (TryRecent(key, out var value, out var left))
        {
            if (left <= _refreshWithin && !_reading.ContainsKey(key))
            {
                _ = Reading(key, read, refresh: true);
            }

            return Task.FromResult(value);
        }

        return Reading(key, read, refresh: false).WaitAsync(MaxWait, cancellationToken);
    }

    /// <summary>
    /// The read of <paramref name="key"/> under way, started if there is none. A read that ends
    /// remembers its row before it stops being the read under way, so a caller that found neither
    /// finds the row now (looked at again once this one is the read under way): it does not read twice.
    /// </summary>
    private Task<TValue?> Reading(TKey key, Func<KeyManagerDbContext, TKey, TValue?> read, bool refresh)
    {
        var mine = new TaskCompletionSource<TValue?>(TaskCreationOptions.RunContinuationsAsynchronously);
        var reading = _reading.GetOrAdd(key, mine.Task);
        if (reading == mine.Task)
        {
            if (!refresh && TryRecent(key, out var value, out _))
            {
                _reading.TryRemove(new KeyValuePair<TKey, Task<TValue?>>(key, mine.Task));
                mine.SetResult(value);
            }
            else
            {
                _ = ReadAsync(key, read, mine);
            }
        }

        return reading;
    }

    private bool TryRecent(TKey key, out TValue? value, out long left)
    {
        if (_entries.TryGetValue(key, out var entry))
        {
            left = entry.ExpiresAt - Environment.TickCount64;
            if (left > 0)
            {
                value = entry.Value;
                return true;
            }
        }

        value = null;
        left = 0;
        return false;
    }

    /// <summary>
    /// Forgets a row this instance has just changed, so it sees its own change at once; a read
    /// already under way is not remembered when it ends (it may have seen the row before).
    /// </summary>
    public void Forget(TKey key)
    {
        lock (_ending)
        {
            _reading.TryRemove(key, out _);
            _entries.TryRemove(key, out _);
        }
    }

    private async Task ReadAsync(TKey key, Func<KeyManagerDbContext, TKey, TValue?> read, TaskCompletionSource<TValue?> completion)
    {
        // Valid from when the read started: the row is at least that fresh.
        var started = Environment.TickCount64;
        try
        {
            var value = await AbandonableDatabaseWork.Start(scopes, db => read(db, key));

            // Remembered only if nobody forgot the id meanwhile; remembered before it stops being
            // the read under way (see Reading).
            lock (_ending)
            {
                if (_reading.TryGetValue(key, out var current) && current == completion.Task)
                {
                    Remember(key, value, started);
                    _reading.TryRemove(new KeyValuePair<TKey, Task<TValue?>>(key, completion.Task));
                }
            }

            completion.SetResult(value);
        }
        catch (Exception e)
        {
            _reading.TryRemove(new KeyValuePair<TKey, Task<TValue?>>(key, completion.Task));
            completion.SetException(e);
            _ = completion.Task.Exception;   // observed: every waiter may have given up already
        }
    }

    private void Remember(TKey key, TValue? value, long started)
    {
        if (value is null)
        {
            _entries.TryRemove(key, out _);
            return;
        }

        if (_entries.Count >= maxEntries)
        {
            _entries.Clear();
        }

        _entries[key] = (value, started + (long)lifetime.TotalMilliseconds);
    }
}
