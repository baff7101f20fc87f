namespace LocalKeyManager.Infrastructure.Crypto;

/// <summary>
/// Threads of their own for private-key operations, one per processor, taking work first come
/// first served. An RSA-3072 decrypt is about 1.7 ms of CPU; run on the shared thread pool, a
/// burst of them occupied every pool thread, and the short work that answers requests (reading
/// sockets, authentication, the request-log commits) queued behind them. Here that work keeps
/// the pool to itself, and no more RSA runs at once than there are processors.
/// Work whose caller stopped waiting before it started (the client went away) is not run.
/// <para>
/// An idle worker blocks at once instead of spinning first (as <c>BlockingCollection</c>'s
/// semaphore does): the processors are busy with RSA whenever there is a queue, and a spinning
/// worker only takes cycles from the one that has work.
/// </para>
/// <para>
/// It is also the service's measure of load (<see cref="IsBacklogged"/>): almost all of its
/// processor time is spent here.
/// </para>
/// </summary>
public sealed class RsaWorkers : IDisposable, Persistence.GroupCommit.IProcessorBacklog
{
    private readonly Queue<Work> _queue = new();
    private readonly object _gate = new();
    private readonly int _threads;
    private int _idle;
    private int _queued;
    private bool _disposed;

    public RsaWorkers()
        : this(Environment.ProcessorCount)
    {
    }

    public RsaWorkers(int threads)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(threads, 1);
        _threads = threads;
        for (var i = 0; i < threads; i++)
        {
            new Thread(RunWorker) { IsBackground = true, Name = "lkm-rsa-" + i }.Start();
        }
    }

    /// <summary>
    /// True while every worker has at least one more operation waiting behind the one it runs:
    /// the processors have an operation's worth of work (about 2 ms for RSA-3072) queued each.
    /// Read without the lock: a moment's staleness only moves one commit's timing.
    /// </summary>
    public bool IsBacklogged => Volatile.Read(ref _queued) >= _threads;

    /// <summary>Runs <paramref name="work"/> on a worker thread; its exceptions reach the caller.</summary>
    public Task<TResult> RunAsync<TState, TResult>(TState state, Func<TState, TResult> work, CancellationToken cancellationToken)
    {
        var item = new Work<TState, TResult>(state, work, cancellationToken);
        lock (_gate)
        {
            ObjectDisposedException.ThrowIf(_disposed, this);
            _queue.Enqueue(item);
            Volatile.Write(ref _queued, _queue.Count);
            if (_idle > 0)
            {
                Monitor.Pulse(_gate);
            }
        }

        return item.Task;
    }

    /// <summary>Work already queued still runs; the threads end when the queue is empty.</summary>
    public void Dispose()
    {
        lock (_gate)
        {
            _disposed = true;
            Monitor.PulseAll(_gate);
        }
    }

    private void RunWorker()
    {
        while (true)
        {
            Work item;
            lock (_gate)
            {
                while (_queue.Count == 0)
                {
                    if (_disposed)
                    {
                        return;
                    }

                    _idle++;
                    Monitor.Wait(_gate);
                    _idle--;
                }

                item = _queue.Dequeue();
                Volatile.Write(ref _queued, _queue.Count);
            }

            item.Run();
        }
    }

    private abstract class Work
    {
        public abstract void Run();
    }

    private sealed class Work<TState, TResult>(TState state, Func<TState, TResult> work, CancellationToken cancellationToken) : Work
    {
        private readonly TaskCompletionSource<TResult> _completion = new(TaskCreationOptions.RunContinuationsAsynchronously);

        public Task<TResult> Task => _completion.Task;

        public override void Run()
        {
            if (cancellationToken.IsCancellationRequested)
            {
                _completion.TrySetCanceled(cancellationToken);
                return;
            }

            try
            {
                _completion.TrySetResult(work(state));
            }
            catch (Exception e)
            {
                // Every failure goes to the caller; none may end the worker thread.
                _completion.TrySetException(e);
            }
        }
    }
}
