namespace LocalKeyManager.Infrastructure.Persistence;

/// <summary>
/// Tells work that waits its turn before it reaches the database that a request has just failed
/// on the database (unreachable, or not answering in time: reported where such a failure becomes
/// a 503, never for a request that was merely late). Keypair generations queued behind
/// one another give up then, instead of each spending a second of RSA work and only then finding
/// the database gone: the last of six queued answered its 503 7-10 s after the outage began,
/// against API.md's 5 s. Nothing here decides a 503 by itself; a request that arrives later
/// meets the database on its own.
/// </summary>
public sealed class DatabaseOutage(IDatabaseDialect dialect)
{
    private CancellationTokenSource _current = new();

    /// <summary>
    /// Whether <paramref name="exception"/> is the database failing (unreachable, or a wait for it
    /// that ran out: a timeout, not a late request's cancelled wait), reported if so: the one test
    /// for what a request answers 503 about and what makes queued work give up.
    /// </summary>
    public bool Observe(Exception exception)
    {
        if (!dialect.IsUnavailable(exception) && exception is not TimeoutException)
        {
            return false;
        }

        // A statement given up on early because of an earlier report is that report's consequence.
        if (exception is not DatabaseTimeoutException { FollowsAnotherFailure: true })
        {
            Report();
        }

        return true;
    }

    /// <summary>Cancelled at the next <see cref="Report"/> after it was read.</summary>
    public CancellationToken Token => Volatile.Read(ref _current).Token;

    public void Report()
    {
        // Cancelled on the thread pool: the waiters' continuations (each a request's 503) must not
        // run on the reporting request's thread before it answers. Not disposed: a waiter may
        // still be linking to its token; a cancelled source holds no timer.
        var ended = Interlocked.Exchange(ref _current, new CancellationTokenSource());
        ThreadPool.UnsafeQueueUserWorkItem(static source => source.Cancel(), ended, preferLocal: false);
    }
}
