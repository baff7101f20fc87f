using LocalKeyManager.Infrastructure.Persistence;

namespace LocalKeyManager.Api.Cli;

/// <summary><c>migrate</c>: applies pending migrations, whatever <c>Database:MigrateOnStartup</c> says.</summary>
public static class MigrateCommand
{
    public static async Task<int> RunAsync(string[] args)
    {
        var (_, configuration) = CommandHost.Split(args);
        using var host = await CommandHost.StartAsync(configuration, initialize: false, mayCreate: true);
        await using var scope = host.Services.CreateAsyncScope();
        var applied = await scope.ServiceProvider.GetRequiredService<DatabaseInitializer>().MigrateAsync(CancellationToken.None);
        CommandHost.PrintAnswer(applied == 0 ? "The schema is up to date." : $"Applied {applied} migration(s).", applied == 0 ? null : $"{applied} migration(s) were applied all the same.");
        return 0;
    }
}
