using System.Diagnostics;
using Microsoft.Extensions.DependencyInjection;

namespace LocalKeyManager.Infrastructure.Persistence;

/// <summary>
/// How the repositories run their statements: as <see cref="AbandonableDatabaseWork"/>, on a
/// thread and a database context of their own, so that a request can stop waiting for a database
/// that accepts connections but never answers, and still answer its 503 in time (API.md: within
/// 5 s). One per scope. Outside a request (command line, background jobs) nothing sets a deadline
/// and callers wait for the database as long as it takes.
/// <para>
/// A statement given up on is not stopped: it runs on until the database answers or its command
/// timeout ends it, on its own context, which nothing else uses. So after a 503 for a timeout a
/// change may still commit (a keypair or credential created, a purge done); the problem says so.
/// </para>
/// </summary>
public sealed class DatabaseWork(IServiceScopeFactory scopes, DatabaseOutage outage)
{
    /// <summary>
    /// The least a statement is waited for, however late the request already is: work before it
    /// (an RSA-3072 key generation takes seconds when several run at once on 2 cores) must not
    /// leave a healthy database too little time. With 250 ms, one of 8 concurrent keypair
    /// creations in the cluster check got a 503. The same as a credential or keypair read's wait
    /// (<see cref="RecentReads{TKey, TValue}.MaxWait"/>).
    /// </summary>
    public static readonly TimeSpan MinWait = TimeSpan.FromSeconds(2);

    private long _dueAt;

    /// <summary>Cancelled once a request fails on the database after this scope's deadline was set.</summary>
    private CancellationToken _failedSince;

    /// <summary>
    /// Statements of this scope are waited for until <paramref name="stopwatchTimestamp"/> (at least
    /// <see cref="MinWait"/> each); after that the caller gets a <see cref="DatabaseTimeoutException"/>.
    /// </summary>
    /// <remarks>
    /// Once a request has failed on the database since then (<see cref="DatabaseOutage"/>), a
    /// statement past the deadline gets no <see cref="MinWait"/>, and a statement already in its
    /// grace is given up then (at the deadline, if that is still ahead): the grace is for a healthy
    /// database after slow work, and with the database failing it only pushed the 503 past 5 s (a
    /// keypair generation under way when the keypair table hung answered after 5.9 s; one whose
    /// insert began just before the first request gave up, 1.4 s after the others). A statement
    /// given up on sooner than <see cref="MinWait"/> this way is not itself reported as the
    /// database failing (<see cref="DatabaseTimeoutException.FollowsAnotherFailure"/>): it was
    /// not waited for long enough to tell, and reporting it would cut the graces of the requests
    /// begun before it, one after the other, on a database that failed only once.
    /// </remarks>
    public void WaitAtMostUntil(long stopwatchTimestamp)
    {
        _dueAt = stopwatchTimestamp;
        _failedSince = outage.Token;
    }

    /// <summary>
    /// Runs <paramref name="work"/> (synchronous EF Core calls on the context it is given).
    /// <paramref name="cancellationToken"/> only stops this caller's wait, never the statement.
    /// </summary>
    /// <exception cref="DatabaseTimeoutException">The deadline passed before the database answered.</exception>
    public async Task<T> RunAsync<T>(Func<KeyManagerDbContext, T> work, CancellationToken cancellationToken)
    {
        var started = Stopwatch.GetTimestamp();
        var running = AbandonableDatabaseWork.Start(scopes, work);
        // Told by how the wait was set or ended, not by the time it took: a timer may fire a
        // moment early, and a statement that had its whole wait must still count as evidence.
        var cutShort = false;
        try
        {
            if (_dueAt == 0)
            {
                return await running.WaitAsync(cancellationToken);
            }

            var left = Stopwatch.GetElapsedTime(started, _dueAt);
            if (left >= MinWait || _failedSince.IsCancellationRequested)
            {
                cutShort = left < MinWait;
                return await running.WaitAsync(left > TimeSpan.Zero ? left : TimeSpan.Zero, cancellationToken);
            }

            // Until the deadline, then the grace past it, which ends when a request fails on the database.
            if (left > TimeSpan.Zero)
            {
                try
                {
                    return await running.WaitAsync(left, cancellationToken);
                }
                catch (TimeoutException) when (!running.IsCompleted)
                {
                    // Into the grace.
                }
            }

            using var grace = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken, _failedSince);
            return await running.WaitAsync(MinWait - (left > TimeSpan.Zero ? left : TimeSpan.Zero), grace.Token);
        }
        catch (Exception e) when (!ReferenceEquals(e, running.Exception?.InnerException))
        {
            // The wait ended (deadline, its grace, or the caller's token), not the work: the work may still run.
            Platform.Abandoned.Observe(running);
            if (e is TimeoutException || (e is OperationCanceledException && !cancellationToken.IsCancellationRequested))
            {
                throw new DatabaseTimeoutException { FollowsAnotherFailure = cutShort || e is OperationCanceledException };
            }

            throw;
        }
    }
}

/// <summary>The database did not answer a statement in the time the request had for it.</summary>
public sealed class DatabaseTimeoutException()
    : TimeoutException("The database did not answer in time. A change the request asked for may still be made.")
{
    /// <summary>
    /// Given up on sooner than <see cref="DatabaseWork.MinWait"/> because another request had
    /// failed on the database: answered 503 like any other, but no new evidence that it is failing.
    /// </summary>
    public bool FollowsAnotherFailure { get; init; }
}
