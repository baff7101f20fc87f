namespace LocalKeyManager.Infrastructure.Persistence;

/// <summary>
/// Threads that run only database work (<see cref="AbandonableDatabaseWork"/>). Work is handed to
/// an idle thread when there is one, else to a new one: a thread blocked in the driver (Npgsql
/// answers a timed-out command with a synchronous cancel request that has no time limit) is never
/// idle, so it never delays other work. The most recently idle thread is reused first, and a
/// thread idle for <paramref name="idleFor"/> ends, so the pool shrinks back to what the load needs.
/// <para>
/// A new thread per statement cost about 1.2 ms a request (<c>GET /keypair/{id}</c> one at a time
/// on SQLite, p50: 1.86 / 2.00 ms with the statement on the request's own context, 3.12 / 3.32 with
/// a thread each); a reused thread costs about 0.5 ms (2.36 / 2.57, against 1.71 / 2.11 for the
/// same statement run inline in the same runs): the hand-off and the way back wake two threads.
/// </para>
/// </summary>
internal sealed class DatabaseThreads(TimeSpan idleFor)
{
    public static readonly DatabaseThreads Shared = new(TimeSpan.FromSeconds(30));

    private readonly List<Worker> _idle = [];
    private readonly TimeSpan _idleFor = idleFor;

    /// <summary>How many threads wait for work (for tests).</summary>
    public int IdleCount
    {
        get
        {
            lock (_idle)
            {
                return _idle.Count;
            }
        }
    }

    /// <summary>Runs <paramref name="work"/>, which must not throw, on a thread of the pool.</summary>
    public void Run(Action work)
    {
        var context = ExecutionContext.Capture();
        Action run = context is null ? work : () => ExecutionContext.Run(context, static state => ((Action)state!)(), work);
        Worker? worker = null;
        lock (_idle)
        {
            if (_idle.Count > 0)
            {
                worker = _idle[^1];
                _idle.RemoveAt(_idle.Count - 1);
            }
        }

        if (worker is null)
        {
            new Worker(this, run).Start();
        }
        else
        {
            worker.Hand(run);
        }
    }

    private sealed class Worker(DatabaseThreads pool, Action first)
    {
        // No spinning before it blocks (ADR-006).
        private readonly ManualResetEventSlim _handed = new(false, 0);
        private Action? _next = first;

        public void Start() =>
            new Thread(Loop) { IsBackground = true, Name = "lkm-database" }.UnsafeStart();

        public void Hand(Action work)
        {
            _next = work;
            _handed.Set();
        }

        private void Loop()
        {
            while (true)
            {
                var work = _next!;
                _next = null;
                work();

                // Reset before it can be found idle, so a hand-off that follows is never lost.
                _handed.Reset();
                lock (pool._idle)
                {
                    pool._idle.Add(this);
                }

                if (!_handed.Wait(pool._idleFor))
                {
                    lock (pool._idle)
                    {
                        if (pool._idle.Remove(this))
                        {
                            _handed.Dispose();
                            return;
                        }
                    }

                    // Taken for work just as it timed out: the work is on its way.
                    _handed.Wait();
                }
            }
        }
    }
}
