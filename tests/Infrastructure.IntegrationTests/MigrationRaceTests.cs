using LocalKeyManager.Infrastructure.Persistence;
using Microsoft.EntityFrameworkCore;
using Microsoft.EntityFrameworkCore.Diagnostics;
using Microsoft.EntityFrameworkCore.Infrastructure;
using Microsoft.EntityFrameworkCore.Migrations;
using Microsoft.Extensions.DependencyInjection;

namespace LocalKeyManager.Infrastructure.IntegrationTests;

/// <summary>
/// Two migrations at once (two instances starting with MigrateOnStartup, or 'migrate' run twice):
/// EF Core's migration lock lets one apply the migrations, and only that one may say it did.
/// </summary>
public sealed class MigrationRaceTests
{
    /// <summary>Which of the two racers raised an EF Core event (it flows with the call, and events are raised on the caller's flow).</summary>
    private static readonly AsyncLocal<string?> Racer = new();

    [Fact]
    public async Task Of_two_migrations_that_both_found_the_schema_behind_only_the_one_that_applied_it_says_so()
    {
        var ct = TestContext.Current.CancellationToken;
        await using var first = await TestServices.StartAsync(initialize: false);
        await using var second = await first.AnotherInstanceAsync(initialize: false);
        await using var holder = await first.AnotherInstanceAsync(initialize: false);
        await using var holderScope = holder.Scope();
        var holderDb = holderScope.ServiceProvider.GetRequiredService<KeyManagerDbContext>();
        var migrations = holderDb.Database.GetMigrations().Count();
        var askedForLock = new HashSet<string>();
        var bothAsked = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        using var waiting = new EfCoreEvents(RelationalEventId.AcquiringMigrationLock, _ =>
        {
            if (Racer.Value is { } racer)
            {
                lock (askedForLock)
                {
                    if (askedForLock.Add(racer) && askedForLock.Count == 2)
                    {
                        bothAsked.TrySetResult();
                    }
                }
            }
        });

        // Both find every migration pending, then queue for the lock this test holds.
        var locked = await holderDb.GetService<IHistoryRepository>().AcquireDatabaseLockAsync(ct);
        var racers = new[] { ("first", first), ("second", second) }.Select(r => Task.Run(
            async () =>
            {
                Racer.Value = r.Item1;
                await using var scope = r.Item2.Scope();
                return await scope.ServiceProvider.GetRequiredService<DatabaseInitializer>().MigrateAsync(ct);
            },
            ct)).ToArray();
        await bothAsked.Task.WaitAsync(TimeSpan.FromSeconds(60), ct);
        await locked.DisposeAsync();
        var applied = await Task.WhenAll(racers);

        applied.Order().Should().Equal([0, migrations], "one applied every migration, and the other found none left once it had the lock");
        (await holderDb.Database.GetAppliedMigrationsAsync(ct)).Should().HaveCount(migrations);
    }
}
