using System.Threading.Channels;
using LocalKeyManager.Application.Telemetry;
using LocalKeyManager.Domain.Audit;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;

namespace LocalKeyManager.Infrastructure.Persistence.GroupCommit;

/// <summary>
/// Group commit for the per-request writes (replay records and request-log entries): concurrent
/// requests queue their writes, and one writer commits everything queued so far in a single
/// transaction (one fsync on SQLite, one round trip per kind of row on a server database), then
/// releases every waiting request together. A request is answered only after its writes commit,
/// so durability is unchanged; throughput no longer pays one transaction per write.
/// <para>
/// While the processors are backlogged (<see cref="IProcessorBacklog"/>), the writer waits
/// <see cref="CoalescingWait"/> before it takes the next group, so that more requests share each
/// commit (docs/decisions/ADR-010). Otherwise it takes what is queued at once: a lone request
/// never waits for company.
/// </para>
/// <para>
/// Request-log entries whose commit failed with the database unavailable are kept and tried again
/// (<see cref="RetryEvery"/>), first and in order, until the database takes them: their requests
/// were answered 503, but an entry is the record of what was done and of what the client got (a
/// keypair created before the log failed, then the 503 that withheld it), and an outage must not
/// leave a change with no entry naming it.
/// </para>
/// </summary>
public sealed partial class GroupCommitWriter : IAsyncDisposable
{
    private const int MaxBatch = 256;

    /// <summary>
    /// How long a request waits for its write to commit before it is answered 503: a database
    /// that hangs must not hang the requests (API.md: 503 within 5 s). The write itself stays
    /// queued and may still commit; a log entry then records an answer the client did not get,
    /// never the other way round (the request then queues an entry recording its 503 behind it).
    /// </summary>
    public static readonly TimeSpan MaxWait = TimeSpan.FromSeconds(4);

    /// <summary>
    /// How long authentication waits for a replay record: it comes after the credential's read
    /// (<see cref="RecentReads{TKey, TValue}.MaxWait"/>), and both must leave time for a 503 within 5 s.
    /// </summary>
    public static readonly TimeSpan MaxNonceWait = TimeSpan.FromSeconds(2);

    /// <summary>
    /// How long the writer lets writes gather before the next group while the processors are
    /// backlogged. Each commit costs processor time of its own (its statements, the pages every
    /// commit rewrites, an fsync); on 2 cores at full load, groups of about 2 grew to about 5 and
    /// decrypts/s rose by about 5%. The wait is short against the queueing it happens in: with
    /// a backlog, each request already waits several milliseconds for a processor.
    /// </summary>
    public static readonly TimeSpan CoalescingWait = TimeSpan.FromMilliseconds(2);

    /// <summary>How often entries held through an outage are tried again.</summary>
    public static readonly TimeSpan RetryEvery = TimeSpan.FromSeconds(1);

    /// <summary>Entries held through an outage at most (about 1 KB each); past it the oldest are given up, counted in an Error line.</summary>
    internal const int MaxHeld = 10_000;

    /// <summary>
    /// Writes with an entry whose commit failed with the database unavailable, oldest first (only
    /// the writer loop touches it). One leaves it once committed, or refused for good.
    /// </summary>
    private readonly List<PendingWrite> _held = [];

    /// <summary>Why the database last did not take a batch (only the writer loop touches it).</summary>
    private Exception? _notTaken;

    /// <summary>Held entries were given up since holding began (only the writer loop touches it).</summary>
    private bool _heldLost;

    private readonly Channel<PendingWrite> _queue = Channel.CreateUnbounded<PendingWrite>(new UnboundedChannelOptions { SingleReader = true });
    private readonly IServiceScopeFactory _scopes;
    private readonly IDatabaseDialect _dialect;
    private readonly ILogger<GroupCommitWriter> _logger;
    private readonly Task _loop;

    private readonly KeyManagerMetrics _metrics;

    /// <summary>The chain head as this writer last left it (only the writer loop touches it).</summary>
    private AuditChain.ChainHeadRow? _knownHead;

    /// <summary>Cancelled on dispose: a shutdown does not wait out a coalescing wait.</summary>
    private readonly CancellationTokenSource _stopping = new();
    private int _stopRequested;
    private readonly IProcessorBacklog _backlog;
    private readonly TimeProvider _time;

    public GroupCommitWriter(
        IServiceScopeFactory scopes, IDatabaseDialect dialect, KeyManagerMetrics metrics, IProcessorBacklog backlog, TimeProvider time, ILogger<GroupCommitWriter> logger)
    {
        _backlog = backlog;
        _time = time;
        _metrics = metrics;
        _scopes = scopes;
        _dialect = dialect;
        _logger = logger;
        _loop = Task.Run(RunAsync);
    }

    /// <summary>Records a replay triple; true when this call was the first to record it.</summary>
    public Task<bool> RecordNonceAsync(NonceRow row, CancellationToken cancellationToken) => EnqueueAsync(new NonceWrite(row), MaxNonceWait, cancellationToken);

    /// <summary>
    /// Records a replay triple and, only if this call was the first to record it, appends the
    /// request's log entry; true once both are committed, false (nothing appended) for a replay.
    /// </summary>
    public Task<bool> AppendIfFirstUseAsync(NonceRow row, RequestLogEntry entry, CancellationToken cancellationToken) =>
        EnqueueAsync(new NonceWrite(row) { Entry = entry }, MaxWait, cancellationToken);

    /// <summary>Appends a request-log entry; completes once it is committed.</summary>
    public Task AppendAsync(RequestLogEntry entry, CancellationToken cancellationToken) => EnqueueAsync(new LogWrite(entry), MaxWait, cancellationToken);

    /// <summary>
    /// Commits what is queued, tries the held entries once more without waiting, and stops; what
    /// the database still does not take is counted lost in an Error line. The service calls it
    /// once every request and job has stopped and while the database's services are still there
    /// (<see cref="GroupCommitDrain"/>): a try after the container is disposed cannot reach the
    /// database at all.
    /// </summary>
    public async Task StopAsync()
    {
        _queue.Writer.TryComplete();
        if (Interlocked.Exchange(ref _stopRequested, 1) == 0)
        {
            await _stopping.CancelAsync();
        }

        await _loop;
    }

    public async ValueTask DisposeAsync()
    {
        await StopAsync();
        _stopping.Dispose();
    }

    private Task<bool> EnqueueAsync(PendingWrite write, TimeSpan maxWait, CancellationToken cancellationToken)
    {
        if (!_queue.Writer.TryWrite(write))
        {
            throw new ObjectDisposedException(nameof(GroupCommitWriter), "The service is shutting down.");
        }

        // The write goes ahead even if this caller stops waiting: once queued it is committed.
        return write.Completion.Task.WaitAsync(maxWait, cancellationToken);
    }

    private async Task RunAsync()
    {
        var batch = new List<PendingWrite>(MaxBatch);
        var triedAfterStop = false;
        var heldWereTaken = false;
        while (true)
        {
            if (_held.Count > 0)
            {
                // Shutting down: one more try, without waiting (and more while the database takes
                // them), then what is left is lost.
                if (triedAfterStop && !heldWereTaken)
                {
                    LogHeldLost(_logger, _held.Count);
                    _held.Clear();
                    break;
                }

                // The database took the last held ones: the rest follow at once.
                if (!heldWereTaken)
                {
                    await PauseAsync(RetryEvery);
                }

                triedAfterStop = _stopping.IsCancellationRequested;
            }
            else if (!await _queue.Reader.WaitToReadAsync())
            {
                break;
            }
            else if (_backlog.IsBacklogged && !_stopping.IsCancellationRequested)
            {
                await PauseAsync(CoalescingWait);
            }

            // Entries held through an outage go first, in their order: a 503's record follows the
            // entry it withheld. They stay held until the database takes them.
            var held = Math.Min(_held.Count, MaxBatch);
            batch.AddRange(_held.GetRange(0, held));
            while (batch.Count < MaxBatch && _queue.Reader.TryRead(out var write))
            {
                batch.Add(write);
            }

            await CommitAsync(batch);
            if (batch.Any(w => w.Held && !w.Settled))
            {
                // The database did not take the batch: what is queued behind it would meet the
                // same. It joins the held entries at once (their count is what MaxHeld bounds, and
                // the queue is not), and its requests are answered now rather than at their waits' end.
                HoldQueued();
            }

            heldWereTaken = false;
            if (held > 0)
            {
                var refused = _held.RemoveAll(w => w.Settled && !w.Committed);
                if (refused > 0)
                {
                    _heldLost = true;
                    LogHeldRefused(_logger, refused);
                }

                heldWereTaken = _held.RemoveAll(w => w.Committed) > 0;
                if (heldWereTaken && _held.Count == 0)
                {
                    if (_heldLost)
                    {
                        LogHeldWrittenSomeLost(_logger);
                    }
                    else
                    {
                        LogHeldWritten(_logger);
                    }
                }
            }

            batch.Clear();
        }
    }

    /// <summary>Waits, or less once the writer is stopping (a shutdown does not wait it out).</summary>
    private async Task PauseAsync(TimeSpan wait)
    {
        try
        {
            await Task.Delay(wait, _time, _stopping.Token);
        }
        catch (OperationCanceledException)
        {
            // Shutting down: commit what is queued now.
        }
    }

    private async Task CommitAsync(List<PendingWrite> batch)
    {
        try
        {
            var started = System.Diagnostics.Stopwatch.GetTimestamp();
            var inserted = await CommitBatchAsync(batch);
            _metrics.RequestLogWritten(System.Diagnostics.Stopwatch.GetElapsedTime(started), batch.Count);
            foreach (var write in batch)
            {
                write.Settled = true;
                if (write is NonceWrite { Sent: true, Recorded: false } unknown && !inserted.Contains(unknown))
                {
                    write.Completion.TrySetException(new TimeoutException("The database did not confirm the replay record; the request may be sent again with a new nonce."));
                    continue;
                }

                write.Committed = true;
                write.Completion.TrySetResult(write is not NonceWrite nonce || nonce.Recorded || inserted.Contains(nonce));
            }
        }
        catch (Exception e) when (batch.Count > 1 && !NotTaken(e))
        {
            // One bad row must not fail its neighbours: commit each on its own. Once the database
            // does not take one, the rest are not tried: each would wait for the same failure, and
            // one that got in after the database came back would be written ahead of the held one
            // before it. They are held behind it as a failed batch's queue is (HoldQueued).
            LogBatchFailed(_logger, batch.Count, e);
            List<PendingWrite>? untried = null;
            foreach (var write in batch)
            {
                if (untried is not null)
                {
                    untried.Add(write);
                }
                else
                {
                    await CommitAsync([write]);
                    untried = write.Settled ? null : [];
                }
            }

            foreach (var write in untried ?? [])
            {
                if (write is NonceWrite { Recorded: true, Entry: null } || write.FoundWritten)
                {
                    // Committed in an earlier attempt (its replay record, or its entry found in the
                    // log, which proves its nonce was this request's): nothing of it is left to write.
                    (write.Settled, write.Committed) = (true, true);
                    write.Completion.TrySetResult(true);
                }
                else
                {
                    write.Completion.TrySetException(_notTaken!);
                }
            }

            Hold([.. (untried ?? []).Where(w => !w.Settled)]);
        }
        catch (Exception e)
        {
            if (!NotTaken(e) && batch is [{ LogEntry: not null } alone] && await FoundWrittenAsync(alone) is { } found && (found || alone.Held))
            {
                // Written after all, or held and the database could not tell: tried again with the held ones.
                return;
            }

            foreach (var write in batch)
            {
                write.Completion.TrySetException(e);
            }

            if (NotTaken(e))
            {
                _notTaken = e;
                Hold(batch);
            }
            else
            {
                foreach (var write in batch)
                {
                    write.Settled = true;
                }
            }
        }
    }

    /// <summary>
    /// A write refused on its own (its entry's id taken, say) whose entry is in the log after all:
    /// an earlier attempt's statement, its answer lost, committed after <see cref="ResolveInDoubtAsync"/>
    /// looked (PostgreSQL cannot cancel a commit under way). Its entry's id is this request's own, so
    /// its nonce was too: settled as written, and its request answered as such. False when the entry
    /// is not there; null when the database cannot tell.
    /// </summary>
    private async Task<bool?> FoundWrittenAsync(PendingWrite write)
    {
        try
        {
            await using var scope = _scopes.CreateAsyncScope();
            if (!(await WrittenAsync(scope.ServiceProvider.GetRequiredService<KeyManagerDbContext>(), [write])).Contains(write.LogEntry!.Id))
            {
                return false;
            }
        }
        catch (Exception e) when (e is not OutOfMemoryException)
        {
            return null;
        }

        if (write is NonceWrite nonce)
        {
            (nonce.Recorded, nonce.Sent) = (true, false);
        }

        (write.FoundWritten, write.Settled, write.Committed) = (true, true, true);
        write.Completion.TrySetResult(true);
        return true;
    }

    /// <summary>
    /// The database did not take the writes, through no fault of theirs: it is unavailable, it did
    /// not answer in time, or the service is shutting down around the writer (its container
    /// disposed). Entries are held, never dropped as if a row were bad.
    /// </summary>
    private bool NotTaken(Exception e) => _dialect.IsUnavailable(e) || e is TimeoutException or ObjectDisposedException;

    /// <summary>
    /// Keeps the writes of a batch the database did not take that carry a request-log entry, to be
    /// tried again; a bare replay record is not (its request was refused; nothing was done).
    /// </summary>
    private void Hold(List<PendingWrite> batch)
    {
        // Writes held already keep their place; the new ones go behind every one of them.
        var first = _held.Count == 0;
        if (first)
        {
            _heldLost = false;
        }

        foreach (var write in batch.Where(w => !w.Held && w is LogWrite or NonceWrite { Entry: not null }))
        {
            write.Held = true;
            _held.Add(write);
        }

        if (_held.Count > MaxHeld)
        {
            _heldLost = true;
            var dropped = _held.Count - MaxHeld;
            _held.RemoveRange(0, dropped);
            LogHeldDropped(_logger, dropped, MaxHeld);
        }

        if (first && _held.Count > 0)
        {
            LogHolding(_logger, _held.Count, RetryEvery.TotalSeconds);
        }
    }

    /// <summary>Fails every queued write as the last batch failed, and holds those with an entry.</summary>
    private void HoldQueued()
    {
        var queued = new List<PendingWrite>();
        while (_queue.Reader.TryRead(out var write))
        {
            write.Completion.TrySetException(_notTaken!);
            queued.Add(write);
        }

        Hold(queued);
    }

    /// <summary>Commits the batch in one transaction; returns the nonce writes that were first.</summary>
    private async Task<HashSet<NonceWrite>> CommitBatchAsync(List<PendingWrite> batch)
    {
        await using var scope = _scopes.CreateAsyncScope();
        var db = scope.ServiceProvider.GetRequiredService<KeyManagerDbContext>();

        // The same triple twice in one batch: only the first can be first. Sent in one fixed order,
        // so that two instances inserting the same nonces cannot deadlock on each other.
        var nonces = batch.OfType<NonceWrite>()
            .GroupBy(n => (n.Row.CredentialId, n.Row.Nonce, n.Row.Ts))
            .Select(g => g.First())
            .OrderBy(n => n.Row.CredentialId, StringComparer.Ordinal)
            .ThenBy(n => n.Row.Nonce, StringComparer.Ordinal)
            .ThenBy(n => n.Row.Ts)
            .ToList();

        try
        {
            return await CommitBatchAsync(db, batch, nonces);
        }
        catch (Exception e) when (_dialect.IsRefusedStatement(e))
        {
            _dialect.ForgetPreparedStatements(db);
            throw;
        }
    }

    private async Task<HashSet<NonceWrite>> CommitBatchAsync(KeyManagerDbContext db, List<PendingWrite> batch, List<NonceWrite> nonces)
    {
        // The execution strategy runs the attempt again after a connection lost mid-way, and the
        // lost attempt may have committed: then every write of the batch is in doubt, not only held ones.
        var attempts = 0;
        return await db.Database.CreateExecutionStrategy().ExecuteAsync(async () =>
        {
            // The connection first: a database that refuses it has been sent nothing, so no replay
            // record below is in doubt (else a decrypt held through an outage would be taken for
            // one whose insert may have committed, and its entry never written).
            await db.Database.OpenConnectionAsync();
            try
            {
                return await AttemptAsync();
            }
            finally
            {
                await db.Database.CloseConnectionAsync();
            }
        });

        async Task<HashSet<NonceWrite>> AttemptAsync()
        {
            // One commit for the batch: an explicit transaction where the database needs one,
            // else each statement commits by itself (one round trip each on a server database).
            await using var transaction = _dialect.GroupCommitInTransaction ? await db.Database.BeginTransactionAsync() : null;
            db.Database.AutoTransactionBehavior = AutoTransactionBehavior.Never;
            // Held writes come first in a batch: one without any, tried for the first time, asks nothing.
            if (++attempts > 1 || batch is [{ Held: true }, ..])
            {
                await ResolveInDoubtAsync(db, batch, everyWrite: attempts > 1);
            }

            var first = new HashSet<NonceWrite>();
            var appended = false;
            // A nonce sent without a transaction in an earlier attempt whose answer was lost is not sent
            // again while it is in doubt (see NonceWrite.Sent and ResolveInDoubtAsync).
            var pending = nonces.Where(n => !n.Recorded && !n.Sent).ToList();
            if (pending.Count > 0)
            {
                if (transaction is null)
                {
                    foreach (var nonce in pending)
                    {
                        nonce.Sent = true;
                    }
                }

                var combined = transaction is null && _knownHead is { } head ? await TryRecordAndAppendAsync(db, batch, pending, head) : null;
                appended = combined is { Appended: true };
                var inserted = combined?.Inserted ?? await InsertNoncesAsync(db, pending, transaction is null);
                first.UnionWith(pending.Where(n => inserted.Contains((n.Row.CredentialId, n.Row.Nonce, n.Row.Ts))));
                if (transaction is null)
                {
                    // Committed already (no explicit transaction): remember it, whatever happens next;
                    // the others are known replays. Either way the outcome is no longer in doubt.
                    foreach (var nonce in pending)
                    {
                        nonce.Recorded = first.Contains(nonce);
                        nonce.Sent = false;
                    }

                    if (pending.Exists(static n => n.Resent && !n.Recorded))
                    {
                        await SettleResentAsync(db, [.. pending.Where(static n => n.Resent && !n.Recorded)]);
                    }
                }
            }

            var entries = appended ? [] : EntriesOf(batch, nonce => nonce.Recorded || first.Contains(nonce));
            if (entries.Count > 0 && (transaction is not null || !await TryAppendOptimisticallyAsync(db, entries)))
            {
                // Lock the chain head and append (in the batch's transaction, or one of its own).
                await using var own = transaction is null ? await db.Database.BeginTransactionAsync() : null;
                await AuditChain.ChainAppender.AppendAsync(db, _dialect, entries, CancellationToken.None);
                if (own is not null)
                {
                    await own.CommitAsync();
                }
            }

            if (transaction is not null)
            {
                await transaction.CommitAsync();
            }

            db.Database.AutoTransactionBehavior = AutoTransactionBehavior.WhenNeeded;
            return first;
        }
    }

    /// <summary>
    /// A failed attempt may have committed all the same: the database took the commit and the
    /// answer was lost (a connection cut or a timeout after it). Appending such an entry again
    /// would fail on its id and count it lost although it is in the log; a replay record in that
    /// doubt would never be sent again, and its entry was counted lost even when the attempt had
    /// written nothing. So before writes are tried again (the held ones, or with
    /// <paramref name="everyWrite"/> a whole batch the execution strategy runs again): an entry found in the log is done (its
    /// replay record went in first, or in the same statement); a replay record in doubt that is
    /// not in the table is sent again (<see cref="NonceWrite.Resent"/>, settled by
    /// <see cref="SettleResentAsync"/>). Nothing is asked of a batch with no such write.
    /// </summary>
    private static async Task ResolveInDoubtAsync(KeyManagerDbContext db, List<PendingWrite> batch, bool everyWrite)
    {
        var withEntry = batch.Where(w => (everyWrite || w.Held) && w is { FoundWritten: false, LogEntry: not null }).ToList();
        if (withEntry.Count == 0)
        {
            return;
        }

        // Records in doubt before entries: a lost statement committing between the two reads then
        // shows its entry, never a record without its entry (which would give the entry up).
        var recorded = new HashSet<NonceWrite>();
        foreach (var doubtful in withEntry.OfType<NonceWrite>().Where(n => n is { Sent: true, Recorded: false }))
        {
            var row = doubtful.Row;
            if (await db.Nonces.AsNoTracking().AnyAsync(n => n.CredentialId == row.CredentialId && n.Nonce == row.Nonce && n.Ts == row.Ts))
            {
                recorded.Add(doubtful);
            }
        }

        var written = await WrittenAsync(db, withEntry);
        foreach (var write in withEntry)
        {
            if (written.Contains(write.LogEntry!.Id))
            {
                write.FoundWritten = true;
                if (write is NonceWrite found)
                {
                    (found.Recorded, found.Sent) = (true, false);
                }
            }
            else if (write is NonceWrite { Sent: true, Recorded: false } doubtful)
            {
                // Present: this request's or a replay's, which the writer cannot tell apart.
                (doubtful.Sent, doubtful.Resent) = (recorded.Contains(doubtful), !recorded.Contains(doubtful));
            }
        }
    }

    /// <summary>
    /// Replay records sent again after <see cref="ResolveInDoubtAsync"/> did not find them, that
    /// turned out not to be first: the lost attempt's statement may have committed only after it
    /// looked (PostgreSQL cannot cancel a commit under way), or another request used the nonce.
    /// An entry the late statement wrote is found now (the insert waited for its transaction), and
    /// the write is done; otherwise it is in doubt again, and its entry is given up and counted lost.
    /// </summary>
    private static async Task SettleResentAsync(KeyManagerDbContext db, List<NonceWrite> notFirst)
    {
        var written = await WrittenAsync(db, notFirst);
        foreach (var nonce in notFirst)
        {
            (nonce.FoundWritten, nonce.Recorded, nonce.Sent) = written.Contains(nonce.Entry!.Id) ? (true, true, false) : (false, false, true);
        }
    }

    /// <summary>
    /// Which of the writes' entries are in the log: a row with the entry's id and the same content
    /// as the chain hashes it. The id is made for the entry (a UUIDv7), but another entry under the
    /// same id is a bad row, not this write's commit.
    /// </summary>
    private static async Task<HashSet<Guid>> WrittenAsync(KeyManagerDbContext db, IEnumerable<PendingWrite> writes)
    {
        var ours = writes.Select(w => w.LogEntry!).ToDictionary(e => e.Id);
        var ids = ours.Keys.ToList();
        var stored = await db.RequestLog.AsNoTracking().Where(e => ids.Contains(e.Id)).ToListAsync();
        return [.. stored
            .Where(e => AuditChain.ChainHashing.Hash(AuditChain.ChainHashing.Genesis, 0, e).AsSpan().SequenceEqual(AuditChain.ChainHashing.Hash(AuditChain.ChainHashing.Genesis, 0, ours[e.Id])))
            .Select(e => e.Id)];
    }

    /// <summary>
    /// Inserts the nonces that are new. Outside a transaction, a statement the database refused
    /// (<see cref="IDatabaseDialect.IsRefusedStatement"/>) wrote nothing, so its nonces are no
    /// longer in doubt and may be sent again, one by one after the failed batch: else each would
    /// get a 503 for a neighbour's bad row. Only this attempt's nonces: one sent in an earlier
    /// attempt whose answer was lost stays in doubt until <see cref="ResolveInDoubtAsync"/> settles it.
    /// </summary>
    private async Task<HashSet<(string, string, long)>> InsertNoncesAsync(KeyManagerDbContext db, List<NonceWrite> pending, bool sentAlone)
    {
        try
        {
            return await _dialect.InsertNoncesIfAbsentAsync(db, pending.Select(n => n.Row).ToList(), CancellationToken.None);
        }
        catch (Exception e) when (sentAlone && _dialect.IsRefusedStatement(e))
        {
            foreach (var nonce in pending)
            {
                nonce.Sent = false;
            }

            throw;
        }
    }

    /// <summary>
    /// Where the database can (PostgreSQL), the batch's replay records and its log entries in one
    /// statement against the head this writer last saw, linked as if every nonce were new (a
    /// replay is rare). If one was not, or another instance moved the head, only the nonces are
    /// written (the result says which were new) and the entries are appended afterwards as usual.
    /// Null when the database has no such statement or the batch has no entries.
    /// </summary>
    private async Task<NoncesAndAppend?> TryRecordAndAppendAsync(
        KeyManagerDbContext db, List<PendingWrite> batch, List<NonceWrite> pending, AuditChain.ChainHeadRow head)
    {
        var sending = pending.ToHashSet();
        var entries = EntriesOf(batch, nonce => nonce.Recorded || sending.Contains(nonce));
        if (entries.Count == 0)
        {
            return null;
        }

        var linked = AuditChain.LinkedEntry.After(head, entries);
        _knownHead = null;
        var result = await _dialect.TryRecordNoncesAndAppendAsync(db, pending.Select(n => n.Row).ToList(), head, linked, CancellationToken.None);
        if (result is { Appended: true })
        {
            _knownHead = new AuditChain.ChainHeadRow { Seq = linked[^1].Seq, Hash = linked[^1].Hash };
        }

        return result;
    }

    /// <summary>
    /// The batch's log entries in its order: every plain entry, and an entry that came with a
    /// nonce only if <paramref name="firstUse"/> holds for that nonce; none found written already.
    /// </summary>
    private static List<RequestLogEntry> EntriesOf(List<PendingWrite> batch, Func<NonceWrite, bool> firstUse) =>
        batch
            .Where(w => !w.FoundWritten)
            .Select(w => w switch
            {
                LogWrite log => log.Entry,
                NonceWrite { Entry: { } entry } nonce when firstUse(nonce) => entry,
                _ => null,
            })
            .OfType<RequestLogEntry>()
            .ToList();

    /// <summary>
    /// Where the database can (PostgreSQL), appends in one statement against the head this writer
    /// last saw; when another instance moved it, reads it again and relinks, a few times at most.
    /// </summary>
    private async Task<bool> TryAppendOptimisticallyAsync(KeyManagerDbContext db, List<RequestLogEntry> entries)
    {
        for (var attempt = 0; attempt < 3; attempt++)
        {
            var head = _knownHead ??= await db.ChainHead.AsNoTracking().SingleAsync();
            var linked = AuditChain.LinkedEntry.After(head, entries);
            _knownHead = null;
            if (await _dialect.TryAppendChainedAsync(db, head, linked, CancellationToken.None))
            {
                _knownHead = new AuditChain.ChainHeadRow { Seq = linked[^1].Seq, Hash = linked[^1].Hash };
                return true;
            }
        }

        return false;
    }

    [LoggerMessage(Level = LogLevel.Warning, Message = "The database did not take {Count} request-log entries (their requests were answered 503): holding them, and every entry after them, and trying again every {Seconds} s until it does")]
    private static partial void LogHolding(ILogger logger, int count, double seconds);

    [LoggerMessage(Level = LogLevel.Information, Message = "The request-log entries held while the database was unavailable are written")]
    private static partial void LogHeldWritten(ILogger logger);

    [LoggerMessage(Level = LogLevel.Information, Message = "The request-log entries still held are written (others were given up: see the Error lines before)")]
    private static partial void LogHeldWrittenSomeLost(ILogger logger);

    [LoggerMessage(Level = LogLevel.Error, Message = "Gave up {Count} of the oldest request-log entries held while the database is unavailable: at most {Max} are held")]
    private static partial void LogHeldDropped(ILogger logger, int count, int max);

    [LoggerMessage(Level = LogLevel.Error, Message = "{Count} request-log entries held through an outage were not written after all (the database refused them, or their replay record is in doubt): they are lost")]
    private static partial void LogHeldRefused(ILogger logger, int count);

    [LoggerMessage(Level = LogLevel.Error, Message = "Shutting down with {Count} request-log entries the database did not take: they are lost")]
    private static partial void LogHeldLost(ILogger logger, int count);

    [LoggerMessage(Level = LogLevel.Warning, Message = "A group commit of {Count} writes failed; committing them one by one")]
    private static partial void LogBatchFailed(ILogger logger, int count, Exception exception);
}
