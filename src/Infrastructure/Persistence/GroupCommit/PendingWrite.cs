using LocalKeyManager.Domain.Audit;

namespace LocalKeyManager.Infrastructure.Persistence.GroupCommit;

/// <summary>One write waiting for the next group commit; completed once its transaction commits.</summary>
internal abstract class PendingWrite
{
    public TaskCompletionSource<bool> Completion { get; } = new(TaskCreationOptions.RunContinuationsAsynchronously);

    /// <summary>Kept by the writer after the database did not take it (its request was answered already), to be tried again.</summary>
    public bool Held { get; set; }

    /// <summary>Done with: committed, or refused for good (never tried again).</summary>
    public bool Settled { get; set; }

    /// <summary>Committed (not merely settled).</summary>
    public bool Committed { get; set; }

    /// <summary>
    /// Its entry was found in the log: an earlier attempt committed it although the database's
    /// answer was lost (a connection cut or a timeout after the commit), perhaps only after the
    /// writer first looked. Not appended again.
    /// </summary>
    public bool FoundWritten { get; set; }

    /// <summary>The request-log entry this write appends, if any.</summary>
    public abstract RequestLogEntry? LogEntry { get; }
}

/// <summary>A replay record; the result says whether this request was the first to use the nonce.</summary>
internal sealed class NonceWrite(NonceRow row) : PendingWrite
{
    public NonceRow Row { get; } = row;

    /// <summary>
    /// The request-log entry of the request that used the nonce, when the two commit together:
    /// appended only if this write is the first use, so a replay leaves no entry.
    /// </summary>
    public RequestLogEntry? Entry { get; init; }

    public override RequestLogEntry? LogEntry => Entry;

    /// <summary>
    /// Set once this request's insert committed. A retry of its batch (after a transient error,
    /// or one by one after a failed batch) must not insert again and call its own nonce a replay.
    /// </summary>
    public bool Recorded { get; set; }

    /// <summary>
    /// Set while its insert, sent outside a transaction, has no answer yet. If that attempt failed
    /// (a timeout), the row may or may not have been committed: a retry that finds it cannot tell
    /// this request from a replay, so such a nonce is not sent again and its request gets a 503.
    /// Before a held write is tried again, or a batch is run again by the execution strategy, the
    /// writer looks: its entry in the log settles it as written, its row absent means it was not
    /// written (<see cref="Resent"/>).
    /// </summary>
    public bool Sent { get; set; }

    /// <summary>
    /// Sent again after an attempt whose answer was lost, its row not found; if this insert is
    /// not first, the lost attempt may have committed after all (see GroupCommitWriter.SettleResentAsync).
    /// </summary>
    public bool Resent { get; set; }
}

/// <summary>A request-log entry; the result is always true.</summary>
internal sealed class LogWrite(RequestLogEntry entry) : PendingWrite
{
    public RequestLogEntry Entry { get; } = entry;

    public override RequestLogEntry? LogEntry => Entry;
}
