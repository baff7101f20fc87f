using System.Diagnostics.Metrics;
using FluentAssertions;
using LocalKeyManager.Application.Telemetry;
using LocalKeyManager.Domain.Audit;
using LocalKeyManager.Infrastructure.Persistence;
using LocalKeyManager.Infrastructure.Persistence.GroupCommit;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Diagnostics.Metrics.Testing;
using Microsoft.Extensions.Logging.Abstractions;
using Microsoft.Extensions.Time.Testing;
using NodaTime;

namespace LocalKeyManager.Infrastructure.IntegrationTests;

/// <summary>
/// When the group-commit writer waits for company (docs/decisions/ADR-010): on SQLite, with a
/// backlog signal and a clock the test moves by hand.
/// </summary>
public sealed class GroupCommitWriterTests : IAsyncLifetime
{
    private static readonly TimeSpan Patience = TimeSpan.FromSeconds(10);
    private static readonly Instant T0 = Instant.FromUtc(2026, 11, 30, 12, 0);

    private readonly SignallingTime _time = new();
    private readonly Backlog _backlog = new();
    private TestServices _services = null!;

    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    public async ValueTask InitializeAsync() => _services = await TestServices.StartAsync();

    public async ValueTask DisposeAsync() => await _services.DisposeAsync();

    [Fact]
    public async Task While_the_processors_are_backlogged_writes_gather_for_the_coalescing_wait_and_share_one_commit()
    {
        _backlog.IsBacklogged = true;
        using var commits = CommitCollector();
        await using var writer = Writer();

        var first = writer.AppendAsync(PersistenceTests.Entry(T0), Ct);
        await _time.WaitStarted.Task.WaitAsync(Patience, Ct);
        first.IsCompleted.Should().BeFalse("the writer lets writes gather before it commits while the processors are backlogged");
        var second = writer.AppendAsync(PersistenceTests.Entry(T0 + Duration.FromSeconds(1)), Ct);
        _time.Advance(GroupCommitWriter.CoalescingWait);
        await Task.WhenAll(first, second).WaitAsync(Patience, Ct);

        BatchTags(commits).Should().Equal(["2-16"], "both writes went in one commit");
        (await LoggedAsync()).Should().HaveCount(2);
    }

    [Fact]
    public async Task Without_a_backlog_a_write_commits_at_once()
    {
        _backlog.IsBacklogged = false;
        using var commits = CommitCollector();
        await using var writer = Writer();

        // The test's clock never moves: a wait on it would not end before the patience runs out.
        await writer.AppendAsync(PersistenceTests.Entry(T0), Ct).WaitAsync(Patience, Ct);

        _time.WaitStarted.Task.IsCompleted.Should().BeFalse("nothing waited");
        BatchTags(commits).Should().Equal(["1"]);
        (await LoggedAsync()).Should().ContainSingle();
    }

    [Fact]
    public async Task A_decrypt_entry_held_through_a_postgres_outage_is_written_once_postgres_is_back()
    {
        await TestServices.SkipUnlessAvailableAsync("postgres");
        await using var owner = await TestServices.StartOnAsync("postgres");
        var role = "lkm_held_" + Guid.NewGuid().ToString("N")[..8];
        string ownerConnection;
        await using (var scope = owner.Scope())
        {
            ownerConnection = scope.ServiceProvider.GetRequiredService<KeyManagerDbContext>().Database.GetConnectionString()!;
        }

        await ExecuteAsync(ownerConnection, $"CREATE ROLE {role} LOGIN CONNECTION LIMIT 0; GRANT SELECT, INSERT, UPDATE, DELETE ON ALL TABLES IN SCHEMA public TO {role};");
        await using var instance = await owner.AnotherInstanceAsync(cs => new Npgsql.NpgsqlConnectionStringBuilder(cs) { Username = role }.ConnectionString, initialize: false);
        var writer = instance.Get<GroupCommitWriter>();
        var entry = PersistenceTests.Entry(T0) with { Detail = "held through the outage" };
        var nonce = new NonceRow { CredentialId = "genesys-held", Nonce = Guid.NewGuid().ToString("N"), Ts = T0.ToUnixTimeSeconds(), SeenAt = T0 };

        // PostgreSQL refuses the instance's connections: the decrypt's replay record and entry are
        // not taken (the request is answered 503), and nothing reached the server.
        await writer.Invoking(w => w.AppendIfFirstUseAsync(nonce, entry, Ct)).Should().ThrowAsync<Exception>();
        await ExecuteAsync(ownerConnection, $"ALTER ROLE {role} CONNECTION LIMIT -1;");

        IReadOnlyList<RequestLogEntry> logged = [];
        for (var waited = System.Diagnostics.Stopwatch.StartNew(); waited.Elapsed < Patience && logged.Count == 0; await Task.Delay(100, Ct))
        {
            await using var scope = owner.Scope();
            logged = [.. (await scope.ServiceProvider.GetRequiredService<IRequestLog>().QueryAsync(10, T0, T0, Ct)).Where(e => e.Id == entry.Id)];
        }

        logged.Should().ContainSingle("the held entry is written once the database takes connections again, not taken for a replay record in doubt");
    }

    private static async Task ExecuteAsync(string connectionString, string sql)
    {
        await using var connection = new Npgsql.NpgsqlConnection(connectionString);
        await connection.OpenAsync(Ct);
        await using var command = new Npgsql.NpgsqlCommand(sql, connection);
        await command.ExecuteNonQueryAsync(Ct);
    }

    private GroupCommitWriter Writer() => new(
        _services.Get<IServiceScopeFactory>(),
        _services.Get<IDatabaseDialect>(),
        _services.Get<KeyManagerMetrics>(),
        _backlog,
        _time,
        NullLogger<GroupCommitWriter>.Instance);

    private async Task<IReadOnlyList<RequestLogEntry>> LoggedAsync()
    {
        await using var scope = _services.Scope();
        return await scope.ServiceProvider.GetRequiredService<IRequestLog>().QueryAsync(100, T0, T0 + Duration.FromMinutes(1), Ct);
    }

    /// <summary>A hand-moved clock that says when the writer starts a wait on it.</summary>
    private sealed class SignallingTime : FakeTimeProvider
    {
        public TaskCompletionSource WaitStarted { get; } = new(TaskCreationOptions.RunContinuationsAsynchronously);

        public override ITimer CreateTimer(TimerCallback callback, object? state, TimeSpan dueTime, TimeSpan period)
        {
            var timer = base.CreateTimer(callback, state, dueTime, period);
            WaitStarted.TrySetResult();
            return timer;
        }
    }

    private sealed class Backlog : IProcessorBacklog
    {
        public bool IsBacklogged { get; set; }
    }

    /// <summary>The <c>batch</c> tag of each commit recorded by this test's services (their own meter factory).</summary>
    private static IReadOnlyList<string?> BatchTags(MetricCollector<double> commits) =>
        [.. commits.GetMeasurementSnapshot().Select(m => m.Tags["batch"] as string)];

    private MetricCollector<double> CommitCollector() =>
        new(_services.Get<IMeterFactory>(), KeyManagerMetrics.MeterName, "lkm.request_log.write.duration");
}
