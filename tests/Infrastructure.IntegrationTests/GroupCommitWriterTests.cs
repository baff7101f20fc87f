using System.Diagnostics.Metrics;
using FluentAssertions;
using LocalKeyManager.Application.Telemetry;
using LocalKeyManager.Domain.Audit;
using LocalKeyManager.Infrastructure.Persistence;
using LocalKeyManager.Infrastructure.Persistence.GroupCommit;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Diagnostics.Metrics.Testing;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;
using Microsoft.Extensions.Logging.Testing;
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

    /// <summary>
    /// A write whose statement the database ran, or did not, with its answer lost on the way back
    /// (a connection cut, a timeout): the writer cannot tell which, holds the entry and tries it
    /// again. It must end up in the log exactly once, and not be reported lost.
    /// </summary>
    /// <param name="statement"><c>append</c>: a plain entry's append; <c>combined</c>: a decrypt's replay record and entry in one statement.</param>
    /// <param name="outcome">
    /// <see cref="Outcome.RunsLate"/>: the statement commits only after the writer has looked for
    /// what it wrote, on its retry (PostgreSQL cannot cancel a commit under way).
    /// </param>
    [Theory]
    [InlineData("append", Outcome.RunsAnswerLost)]
    [InlineData("append", Outcome.RunsLate)]
    [InlineData("combined", Outcome.RunsAnswerLost)]
    [InlineData("combined", Outcome.AnswerLost)]
    [InlineData("combined", Outcome.RunsLate)]
    public async Task A_held_write_whose_answer_was_lost_is_in_the_log_once_and_not_reported_lost(string statement, Outcome outcome)
    {
        await using var scene = await ScriptedWriterAsync();
        var (postgres, dialect, logger, writer) = scene;
        await scene.StartChainAsync();
        var (entry, nonce) = Decrypt("answer lost");
        dialect.Then(statement, outcome);
        var write = statement == "append" ? writer.AppendAsync(entry, Ct) : writer.AppendIfFirstUseAsync(nonce, entry, Ct);
        await write.Invoking(w => w.WaitAsync(Patience, Ct)).Should().ThrowAsync<TimeoutException>("the request is answered 503").WithMessage(AnswerLostMessage);
        dialect.Left.Should().Be(0, "the lost answer was simulated");

        await RetryUntilLoggedAsync(logger, LogLevel.Information, "are written");

        await using var scope = postgres.Scope();
        var db = scope.ServiceProvider.GetRequiredService<KeyManagerDbContext>();
        (await db.RequestLog.CountAsync(e => e.Id == entry.Id, Ct)).Should().Be(1, "the entry is written, and once");
        logger.Collector.GetSnapshot().Where(r => r.Level >= LogLevel.Warning && !r.Message.StartsWith("The database did not take", StringComparison.Ordinal))
            .Select(r => r.Message).Should().BeEmpty("nothing was lost");
        Logged(logger, LogLevel.Information, "The request-log entries held while the database was unavailable are written").Should().BeTrue();
        if (statement == "combined")
        {
            (await db.Nonces.CountAsync(n => n.Nonce == nonce.Nonce, Ct)).Should().Be(1);
        }

        var report = await postgres.Get<LocalKeyManager.Infrastructure.Persistence.AuditChain.ChainVerifier>().VerifyAsync(Ct);
        report.Intact.Should().BeTrue(report.Problem);
        (report.FirstSeq, report.LastSeq).Should().Be((1L, 2L));
    }

    /// <param name="how">
    /// <c>another request</c> used the nonce meanwhile; or the <c>late commit</c> of the lost
    /// insert, after the writer looked and found no record, makes the record it sends again not first.
    /// </param>
    [Theory]
    [InlineData("another request")]
    [InlineData("late commit")]
    public async Task A_held_decrypt_whose_replay_record_is_in_doubt_and_found_is_given_up_and_reported_lost(string how)
    {
        await using var scene = await ScriptedWriterAsync();
        var (postgres, dialect, logger, writer) = scene;
        var (entry, nonce) = Decrypt("in doubt");
        if (how == "another request")
        {
            // The decrypt's statement (one for the record and the entry, the chain head being known)
            // loses its answer without running; then another request uses the same nonce.
            await scene.StartChainAsync();
            dialect.Then("combined", Outcome.AnswerLost);
            await writer.Invoking(w => w.AppendIfFirstUseAsync(nonce, entry, Ct).WaitAsync(Patience, Ct)).Should().ThrowAsync<TimeoutException>().WithMessage(AnswerLostMessage);
            await using var scope = postgres.Scope();
            var inserted = await scope.ServiceProvider.GetRequiredService<IDatabaseDialect>().InsertNoncesIfAbsentAsync(
                scope.ServiceProvider.GetRequiredService<KeyManagerDbContext>(), [nonce], Ct);
            inserted.Should().ContainSingle();
        }
        else
        {
            // The record's own statement (the chain head not known yet) commits only after the
            // writer looked for the record on its retry, and sent it again.
            dialect.Then("nonces", Outcome.RunsLate);
            await writer.Invoking(w => w.AppendIfFirstUseAsync(nonce, entry, Ct).WaitAsync(Patience, Ct)).Should().ThrowAsync<TimeoutException>().WithMessage(AnswerLostMessage);
        }

        // The writer cannot tell the record found from its own: it does not write the entry, and says so.

        await RetryUntilLoggedAsync(logger, LogLevel.Error, "they are lost");

        Logged(logger, LogLevel.Error, "1 request-log entries held through an outage were not written after all").Should().BeTrue("the loss is reported");
        Logged(logger, LogLevel.Information, "are written").Should().BeFalse("no line claims the held entries were written");
        await using var check = postgres.Scope();
        (await check.ServiceProvider.GetRequiredService<KeyManagerDbContext>().RequestLog.CountAsync(e => e.Id == entry.Id, Ct)).Should().Be(0);
    }

    /// <param name="outcome">
    /// <see cref="Outcome.RunsLateConnectionLost"/>: the lost statement commits only after the
    /// attempt run again has looked for what it wrote.
    /// </param>
    [Theory]
    [InlineData("append", Outcome.RunsConnectionLost)]
    [InlineData("append", Outcome.RunsLateConnectionLost)]
    [InlineData("combined", Outcome.RunsConnectionLost)]
    [InlineData("combined", Outcome.RunsLateConnectionLost)]
    public async Task A_batch_tried_again_after_its_connection_broke_past_the_commit_is_not_written_twice_and_its_requests_succeed(string statement, Outcome outcome)
    {
        await using var scene = await ScriptedWriterAsync();
        var (postgres, dialect, logger, writer) = scene;
        await scene.StartChainAsync();
        var (entry, nonce) = Decrypt("connection lost");

        // The statement commits, the connection breaks before its answer, and the execution
        // strategy runs the batch again at once: that attempt finds the entry written.
        dialect.Then(statement, outcome);
        if (statement == "append")
        {
            await writer.AppendAsync(entry, Ct).WaitAsync(Patience, Ct);
        }
        else
        {
            (await writer.AppendIfFirstUseAsync(nonce, entry, Ct).WaitAsync(Patience, Ct)).Should().BeTrue("the nonce's first use is this request's");
        }

        dialect.Left.Should().Be(0);
        await using var scope = postgres.Scope();
        (await scope.ServiceProvider.GetRequiredService<KeyManagerDbContext>().RequestLog.CountAsync(e => e.Id == entry.Id, Ct)).Should().Be(1);
        logger.Collector.GetSnapshot().Where(r => r.Level >= LogLevel.Warning).Select(r => r.Message).Should().BeEmpty();
        var report = await postgres.Get<LocalKeyManager.Infrastructure.Persistence.AuditChain.ChainVerifier>().VerifyAsync(Ct);
        report.Intact.Should().BeTrue(report.Problem);
    }

    [Fact]
    public async Task After_a_refused_batch_the_writes_behind_one_the_database_did_not_take_are_held_behind_it_in_their_order()
    {
        await using var scene = await ScriptedWriterAsync();
        var (postgres, dialect, logger, writer) = scene;

        // The batch of three is refused (a bad row, so each is tried on its own); the first on its
        // own is not taken (the database went away); the database is back for the next.
        dialect.Then("append", Outcome.Refused);
        dialect.Then("append", Outcome.AnswerLost);
        var entries = Enumerable.Range(0, 3).Select(i => PersistenceTests.Entry(T0 + Duration.FromSeconds(i)) with { Detail = $"write {i}" }).ToList();
        _backlog.IsBacklogged = true;
        var first = writer.AppendAsync(entries[0], Ct);
        await _time.WaitStarted.Task.WaitAsync(Patience, Ct);
        List<Task> writes = [first, .. entries.Skip(1).Select(e => writer.AppendAsync(e, Ct))];
        _backlog.IsBacklogged = false;
        _time.Advance(GroupCommitWriter.CoalescingWait);

        foreach (var write in writes)
        {
            await write.Invoking(w => w.WaitAsync(Patience, Ct)).Should().ThrowAsync<TimeoutException>(
                "the writes behind the one the database did not take are not tried: their requests are answered 503 with it").WithMessage(AnswerLostMessage);
        }

        dialect.Left.Should().Be(0);
        await RetryUntilLoggedAsync(logger, LogLevel.Information, "are written");

        await using var scope = postgres.Scope();
        var db = scope.ServiceProvider.GetRequiredService<KeyManagerDbContext>();
        var details = await db.Database.SqlQueryRaw<string>("SELECT detail AS \"Value\" FROM request_log ORDER BY seq").ToListAsync(Ct);
        details.Should().Equal(["write 0", "write 1", "write 2"], "held writes are written in their order, once the database is back");
        logger.Collector.GetSnapshot().Where(r => r.Level >= LogLevel.Error).Select(r => r.Message).Should().BeEmpty("nothing was lost");
    }

    /// <summary>A writer on a fresh PostgreSQL database whose dialect goes as the test scripts it.</summary>
    private async Task<ScriptedWriter> ScriptedWriterAsync()
    {
        await TestServices.SkipUnlessAvailableAsync("postgres");
        var postgres = await TestServices.StartOnAsync("postgres");
        var dialect = new Scripted(postgres.Get<IDatabaseDialect>(), postgres.Provider);
        var logger = new FakeLogger<GroupCommitWriter>();
        var writer = new GroupCommitWriter(postgres.Get<IServiceScopeFactory>(), dialect, postgres.Get<KeyManagerMetrics>(), _backlog, _time, logger);
        return new ScriptedWriter(postgres, dialect, logger, writer);
    }

    /// <summary>A decrypt's request-log entry, 1 s after the first, and its replay record.</summary>
    private static (RequestLogEntry Entry, NonceRow Nonce) Decrypt(string detail) => (
        PersistenceTests.Entry(T0 + Duration.FromSeconds(1)) with { Detail = detail },
        new NonceRow { CredentialId = "genesys-" + detail.Replace(' ', '-'), Nonce = Guid.NewGuid().ToString("N"), Ts = T0.ToUnixTimeSeconds(), SeenAt = T0 });

    /// <summary>Moves the clock on by the writer's retry period until it logs <paramref name="text"/> (or the patience runs out).</summary>
    private async Task RetryUntilLoggedAsync(FakeLogger logger, LogLevel level, string text)
    {
        for (var waited = System.Diagnostics.Stopwatch.StartNew(); waited.Elapsed < Patience && !Logged(logger, level, text); await Task.Delay(50, Ct))
        {
            _time.Advance(GroupCommitWriter.RetryEvery);
        }
    }

    private static bool Logged(FakeLogger logger, LogLevel level, string text) =>
        logger.Collector.GetSnapshot().Any(r => r.Level == level && r.Message.Contains(text, StringComparison.Ordinal));

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

    private sealed record ScriptedWriter(TestServices Postgres, Scripted Dialect, FakeLogger<GroupCommitWriter> Logger, GroupCommitWriter Writer) : IAsyncDisposable
    {
        /// <summary>A first entry, so that the writer knows the chain head and sends a decrypt's writes in one statement.</summary>
        public Task StartChainAsync() => Writer.AppendAsync(PersistenceTests.Entry(T0), Ct).WaitAsync(Patience, Ct);

        public async ValueTask DisposeAsync()
        {
            await Writer.DisposeAsync();
            await Postgres.DisposeAsync();
        }
    }

    /// <summary>What becomes of the next statement of a kind (see <see cref="Scripted"/>).</summary>
    public enum Outcome
    {
        /// <summary>It runs, and its answer is lost: a timeout.</summary>
        RunsAnswerLost,

        /// <summary>It does not run, and a timeout says nothing more.</summary>
        AnswerLost,

        /// <summary>PostgreSQL refuses it (a bad row): nothing of it is written.</summary>
        Refused,

        /// <summary>A timeout at once, and it runs (commits) just before the next statement the writer sends.</summary>
        RunsLate,

        /// <summary>It runs, and the connection breaks before the answer: the execution strategy tries the batch again.</summary>
        RunsConnectionLost,

        /// <summary>The connection breaks at once, and the statement runs just before the next one the writer sends.</summary>
        RunsLateConnectionLost,
    }

    private const string AnswerLostMessage = "The answer was lost on the way back.";

    /// <summary>The real dialect, but the next statements of a kind go as scripted, in turn; the rest run.</summary>
    private sealed class Scripted(IDatabaseDialect inner, IServiceProvider services) : IDatabaseDialect
    {
        private readonly Queue<(string Statement, Outcome Outcome)> _script = new();
        private Func<Task>? _late;

        public int Left
        {
            get
            {
                lock (_script)
                {
                    return _script.Count;
                }
            }
        }

        public string Name => inner.Name;

        public bool GroupCommitInTransaction => inner.GroupCommitInTransaction;

        public string LockChainHeadSql => inner.LockChainHeadSql;

        public void Then(string statement, Outcome outcome)
        {
            lock (_script)
            {
                _script.Enqueue((statement, outcome));
            }
        }

        public bool IsUniqueViolation(DbUpdateException exception) => inner.IsUniqueViolation(exception);

        public bool IsUnavailable(Exception exception) => inner.IsUnavailable(exception);

        public bool IsRefusedStatement(Exception exception) => inner.IsRefusedStatement(exception);

        public void ForgetPreparedStatements(KeyManagerDbContext db) => inner.ForgetPreparedStatements(db);

        public bool FlushErasedContent(KeyManagerDbContext db) => inner.FlushErasedContent(db);

        public string? WriteProblem(System.Data.Common.DbConnection connection) => inner.WriteProblem(connection);

        public Task PrepareAsync(KeyManagerDbContext db, CancellationToken cancellationToken) => inner.PrepareAsync(db, cancellationToken);

        public Task<HashSet<(string, string, long)>> InsertNoncesIfAbsentAsync(KeyManagerDbContext db, IReadOnlyList<NonceRow> nonces, CancellationToken cancellationToken) =>
            RunAsync("nonces", db, c => inner.InsertNoncesIfAbsentAsync(c, nonces, cancellationToken));

        public Task<bool> TryAppendChainedAsync(
            KeyManagerDbContext db, Persistence.AuditChain.ChainHeadRow expected, IReadOnlyList<Persistence.AuditChain.LinkedEntry> entries, CancellationToken cancellationToken) =>
            RunAsync("append", db, c => inner.TryAppendChainedAsync(c, expected, entries, cancellationToken));

        public Task<NoncesAndAppend?> TryRecordNoncesAndAppendAsync(
            KeyManagerDbContext db, IReadOnlyList<NonceRow> nonces, Persistence.AuditChain.ChainHeadRow expected, IReadOnlyList<Persistence.AuditChain.LinkedEntry> entries, CancellationToken cancellationToken) =>
            RunAsync("combined", db, c => inner.TryRecordNoncesAndAppendAsync(c, nonces, expected, entries, cancellationToken));

        private static Npgsql.NpgsqlException ConnectionLost() => new("The connection broke before the answer.", new IOException("connection reset"));

        private async Task<T> RunAsync<T>(string statement, KeyManagerDbContext db, Func<KeyManagerDbContext, Task<T>> run)
        {
            if (Interlocked.Exchange(ref _late, null) is { } late)
            {
                await late();
            }

            Outcome? outcome = null;
            lock (_script)
            {
                if (_script.TryPeek(out var next) && next.Statement == statement)
                {
                    outcome = _script.Dequeue().Outcome;
                }
            }

            switch (outcome)
            {
                case Outcome.RunsAnswerLost:
                    await run(db);
                    throw new TimeoutException(AnswerLostMessage);
                case Outcome.AnswerLost:
                    throw new TimeoutException(AnswerLostMessage);
                case Outcome.RunsConnectionLost:
                    await run(db);
                    throw ConnectionLost();
                case Outcome.RunsLate or Outcome.RunsLateConnectionLost:
                    // On a context of its own: the writer's is disposed after the failure.
                    _late = async () =>
                    {
                        await using var scope = services.CreateAsyncScope();
                        await run(scope.ServiceProvider.GetRequiredService<KeyManagerDbContext>());
                    };
                    throw outcome == Outcome.RunsLate ? new TimeoutException(AnswerLostMessage) : ConnectionLost();
                case Outcome.Refused:
                    throw new Npgsql.PostgresException("a bad row", "ERROR", "ERROR", Npgsql.PostgresErrorCodes.CheckViolation);
                default:
                    return await run(db);
            }
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
