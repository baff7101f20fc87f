using System.Collections.Concurrent;

namespace LocalKeyManager.Infrastructure.Crypto;

/// <summary>
/// Threads of their own for private-key operations, one per processor, taking work first come
/// first served. An RSA-3072 decrypt is about 1.7 ms of CPU; run on the shared thread pool, a
/// burst of them occupied every pool thread, and the short work that answers requests (reading
/// sockets, authentication, the request-log commits) queued behind them. Here that work keeps
/// the pool to itself, and no more RSA runs at once than there are processors.
/// Work whose caller stopped waiting before it started (the client went away) is not run.
/// </summary>
public sealed class RsaWorkers : IDisposable
{
    private readonly BlockingCollection<Work> _queue = new(new ConcurrentQueue<Work>());

    public RsaWorkers()
        : this(Environment.ProcessorCount)
    {
    }

    public RsaWorkers(int threads)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(threads, 1);
        for (var i = 0; i < threads; i++)
        {
            new Thread(RunWorker) { IsBackground = true, Name = "lkm-rsa-" + i }.Start();
        }
    }

    /// <summary>Runs <paramref name="work"/> on a worker thread; its exceptions reach the caller.</summary>
    public Task<TResult> RunAsync<TState, TResult>(TState state, Func<TState, TResult> work, CancellationToken cancellationToken)
    {
        var item = new Work<TState, TResult>(state, work, cancellationToken);
        try
        {
            _queue.Add(item, CancellationToken.None);
        }
        catch (InvalidOperationException e)
        {
            throw new ObjectDisposedException(nameof(RsaWorkers), e);
        }

        return item.Task;
    }

    /// <summary>Work already queued still runs; the threads end when the queue is empty.</summary>
    public void Dispose() => _queue.CompleteAdding();

    private void RunWorker()
    {
        foreach (var item in _queue.GetConsumingEnumerable())
        {
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
