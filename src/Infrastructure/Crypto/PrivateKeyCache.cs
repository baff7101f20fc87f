using System.Collections.Concurrent;
using System.Security.Cryptography;
using LocalKeyManager.Domain.Crypto;
using LocalKeyManager.Domain.Keys;
using Microsoft.Extensions.Options;

namespace LocalKeyManager.Infrastructure.Crypto;

/// <summary>
/// Parsed private keys, so a decrypt does not unwrap and re-import the key (that costs about
/// 40% of decrypt throughput). Each keypair has a small pool of <see cref="RSA"/> objects, one
/// per concurrent user, because the framework does not promise that one instance is safe to
/// share between threads. Bounded: past <see cref="KeyCacheOptions.MaxKeypairs"/> keypairs the
/// least recently used is dropped. An entry is tied to the exact wrapped blob it came from,
/// so a re-wrapped or replaced key is parsed afresh.
/// </summary>
public sealed class PrivateKeyCache(IKeyProtector protector, IOptions<KeyCacheOptions> options) : IDisposable
{
    private readonly ConcurrentDictionary<KeypairId, Entry> _entries = new();
    private readonly int _maxPerKey = Math.Max(2, Environment.ProcessorCount * 2);

    public int Count => _entries.Count;

    /// <summary>Runs <paramref name="use"/> with a parsed private key of <paramref name="keypair"/>.</summary>
    public T Use<T>(Keypair keypair, Func<RSA, T> use)
    {
        var wrapped = keypair.PrivateKey ?? throw new InvalidOperationException($"Keypair {keypair.Id} has no private key (destroyed).");
        var entry = _entries.GetOrAdd(keypair.Id, static (_, w) => new Entry(w), wrapped);
        if (!entry.Matches(wrapped))
        {
            var fresh = new Entry(wrapped);
            if (_entries.TryUpdate(keypair.Id, fresh, entry))
            {
                entry.Retire();
            }

            entry = fresh;
        }

        entry.Touch();
        if (_entries.Count > options.Value.MaxKeypairs)
        {
            EvictLeastRecentlyUsed(keypair.Id);
        }

        var rsa = entry.Rent() ?? Import(keypair.Id, wrapped);
        try
        {
            return use(rsa);
        }
        finally
        {
            entry.Return(rsa, _maxPerKey);
        }
    }

    public void Dispose()
    {
        foreach (var entry in _entries.Values)
        {
            entry.Retire();
        }

        _entries.Clear();
    }

    /// <summary>Drops the keypair's parsed keys (it was disabled, scheduled for destruction or destroyed).</summary>
    public void Forget(KeypairId id)
    {
        if (_entries.TryRemove(id, out var entry))
        {
            entry.Retire();
        }
    }

    private RSA Import(KeypairId id, WrappedKey wrapped)
    {
        var buffer = new byte[protector.MaxPlaintextLength(wrapped)];
        try
        {
            var length = protector.Unwrap(wrapped, Keypair.WrappingContext(id), buffer);
            var rsa = RSA.Create();
            rsa.ImportRSAPrivateKey(buffer.AsSpan(0, length), out _);
            return rsa;
        }
        finally
        {
            CryptographicOperations.ZeroMemory(buffer);
        }
    }

    /// <summary>
    /// Drops the parsed keys of keypairs not used for <paramref name="idle"/>. A keypair disabled
    /// or destroyed through another instance is forgotten here this way: this instance's own
    /// requests only stop using it (its row says so), and no parsed copy should outlive that long.
    /// </summary>
    public int ForgetIdle(TimeSpan idle)
    {
        var before = Environment.TickCount64 - (long)idle.TotalMilliseconds;
        var forgotten = 0;
        foreach (var (id, entry) in _entries)
        {
            if (entry.LastUsed < before && _entries.TryRemove(new KeyValuePair<KeypairId, Entry>(id, entry)))
            {
                entry.Retire();
                forgotten++;
            }
        }

        return forgotten;
    }

    private void EvictLeastRecentlyUsed(KeypairId keep)
    {
        var victim = _entries.Where(e => !e.Key.Equals(keep)).MinBy(e => e.Value.LastUsed);
        if (victim.Value is not null && _entries.TryRemove(victim))
        {
            victim.Value.Retire();
        }
    }

    private sealed class Entry(WrappedKey source)
    {
        private readonly ConcurrentBag<RSA> _pool = [];
        private volatile bool _retired;
        private long _lastUsed;

        public long LastUsed => Interlocked.Read(ref _lastUsed);

        public bool Matches(WrappedKey wrapped) =>
            ReferenceEquals(source, wrapped) ||
            (source.KekId == wrapped.KekId && source.Blob.AsSpan().SequenceEqual(wrapped.Blob));

        public void Touch() => Interlocked.Exchange(ref _lastUsed, Environment.TickCount64);

        public RSA? Rent() => _pool.TryTake(out var rsa) ? rsa : null;

        public void Return(RSA rsa, int max)
        {
            if (_retired || _pool.Count >= max)
            {
                rsa.Dispose();
                return;
            }

            _pool.Add(rsa);
            if (_retired && _pool.TryTake(out var late))
            {
                late.Dispose();
            }
        }

        public void Retire()
        {
            _retired = true;
            while (_pool.TryTake(out var rsa))
            {
                rsa.Dispose();
            }
        }
    }
}
