namespace LocalKeyManager.Infrastructure.Persistence.GroupCommit;

/// <summary>
/// Whether the processors have more work queued than they can start now. While they have, a
/// group commit can wait a moment for more writes to share it: the processors stay busy anyway,
/// and every commit saved is processor time given back to that queue.
/// </summary>
public interface IProcessorBacklog
{
    bool IsBacklogged { get; }
}
