using Microsoft.Extensions.Hosting;

namespace LocalKeyManager.Infrastructure.Persistence.GroupCommit;

/// <summary>
/// Stops the <see cref="GroupCommitWriter"/> once the server and every job have stopped (so that
/// nothing queues behind its last commit) and before the container is disposed (so that its last
/// try of the entries held through an outage still reaches the database, and what it cannot
/// write is counted lost instead of vanishing with the container).
/// </summary>
internal sealed class GroupCommitDrain(GroupCommitWriter writer) : IHostedLifecycleService
{
    public Task StartingAsync(CancellationToken cancellationToken) => Task.CompletedTask;

    public Task StartAsync(CancellationToken cancellationToken) => Task.CompletedTask;

    public Task StartedAsync(CancellationToken cancellationToken) => Task.CompletedTask;

    public Task StoppingAsync(CancellationToken cancellationToken) => Task.CompletedTask;

    public Task StopAsync(CancellationToken cancellationToken) => Task.CompletedTask;

    /// <summary>
    /// After every hosted service's <c>StopAsync</c>, the web server's among them. Not cut short by
    /// the host's shutdown timeout: the last try is bounded by the database's own timeouts (a few
    /// seconds), and a try cut short would lose the held entries without counting them.
    /// </summary>
    public Task StoppedAsync(CancellationToken cancellationToken) => writer.StopAsync();
}
