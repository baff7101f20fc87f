namespace LocalKeyManager.Infrastructure.Platform;

/// <summary>Work its caller stopped waiting for, which runs on by itself.</summary>
internal static class Abandoned
{
    /// <summary>Observes <paramref name="task"/>'s failure, when it comes: nobody waits for it any more.</summary>
    public static void Observe(Task task) =>
        task.ContinueWith(static t => t.Exception, CancellationToken.None, TaskContinuationOptions.OnlyOnFaulted | TaskContinuationOptions.ExecuteSynchronously, TaskScheduler.Default);
}
