using LocalKeyManager.Application.Credentials.RegisterHawkCredential;
using LocalKeyManager.Domain.Audit;
using LocalKeyManager.Domain.Credentials;
using LocalKeyManager.Domain.Crypto;
using LocalKeyManager.Domain.Keys;
using LocalKeyManager.Infrastructure.Persistence;
using LocalKeyManager.Infrastructure.Persistence.AuditChain;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.DependencyInjection;
using NodaTime;

namespace LocalKeyManager.Infrastructure.IntegrationTests;

/// <summary>The repositories on a real database; run on SQLite and on PostgreSQL.</summary>
public abstract class PersistenceTests : IAsyncLifetime
{
    private TestServices _services = null!;

    protected abstract string DatabaseProvider { get; }

    public async ValueTask InitializeAsync()
    {
        await TestServices.SkipUnlessAvailableAsync(DatabaseProvider);
        _services = await TestServices.StartOnAsync(DatabaseProvider);
    }

    public async ValueTask DisposeAsync()
    {
        if (_services is not null)
        {
            await _services.DisposeAsync();
        }
    }

    protected static CancellationToken Ct => TestContext.Current.CancellationToken;

    [Fact]
    public async Task A_nonce_is_accepted_once_even_when_recorded_concurrently()
    {
        var now = _services.Clock.GetCurrentInstant();
        var results = await Task.WhenAll(Enumerable.Range(0, 8).Select(async _ =>
        {
            await using var scope = _services.Scope();
            return await scope.ServiceProvider.GetRequiredService<IReplayGuard>().TryRecordAsync("genesys-prod", "n0nce", 1700000000, now, Ct);
        }));

        results.Count(r => r).Should().Be(1);
        await using var other = _services.Scope();
        (await other.ServiceProvider.GetRequiredService<IReplayGuard>().TryRecordAsync("genesys-prod", "n0nce", 1700000001, now, Ct)).Should().BeTrue("another ts is another request");
        (await other.ServiceProvider.GetRequiredService<IReplayGuard>().TryRecordAsync("genesys-other", "n0nce", 1700000000, now, Ct)).Should().BeTrue("another credential is another request");
    }

    [Fact]
    public async Task A_replay_record_the_database_refuses_fails_alone_and_its_neighbours_are_first()
    {
        // SQLite does not enforce column lengths, so it has no such row to refuse; the server
        // databases refuse a credential id over its 128 characters (none can authenticate, but
        // it stands for any row a statement is refused for).
        Assert.SkipWhen(DatabaseProvider == "sqlite", "SQLite stores a value of any length: there is no refused row to make");
        var now = _services.Clock.GetCurrentInstant();
        var tooLong = new string('c', 200);
        for (var round = 0; round < 3; round++)
        {
            var writes = Enumerable.Range(0, 30)
                .Select(i => (Credential: i == 15 ? tooLong : "genesys-prod", Nonce: $"neighbour-{round}-{i}"))
                .ToArray();
            var outcomes = await Task.WhenAll(writes.Select(async w =>
            {
                await using var scope = _services.Scope();
                try
                {
                    return await scope.ServiceProvider.GetRequiredService<IReplayGuard>().TryRecordAsync(w.Credential, w.Nonce, 1700000400, now, Ct) ? "first" : "replay";
                }
                catch (Exception e) when (e is DbUpdateException or System.Data.Common.DbException or TimeoutException)
                {
                    return e.GetType().Name;
                }
            }));

            outcomes.Where((_, i) => i != 15).Should().OnlyContain(o => o == "first", "a neighbour's refused row must not cost a new nonce a 503");
            outcomes[15].Should().NotBe("first").And.NotBe("replay");
        }

        await using var check = _services.Scope();
        var db = check.ServiceProvider.GetRequiredService<Persistence.KeyManagerDbContext>();
        (await db.Nonces.CountAsync(n => n.Nonce.StartsWith("neighbour-"), Ct)).Should().Be(3 * 29);
    }

    [Fact]
    public async Task A_long_nonce_is_stored_as_a_digest_and_seen_once()
    {
        var now = _services.Clock.GetCurrentInstant();
        var asSent = new string('s', Persistence.NonceRow.KeptAsSentUpTo);
        var longer = new string('n', 500);
        var longest = new string('n', 3000);
        await using var scope = _services.Scope();
        var guard = scope.ServiceProvider.GetRequiredService<IReplayGuard>();

        foreach (var nonce in new[] { asSent, longer, longest })
        {
            (await guard.TryRecordAsync("genesys-prod", nonce, 1700000500, now, Ct)).Should().BeTrue();
            (await guard.TryRecordAsync("genesys-prod", nonce, 1700000500, now, Ct)).Should().BeFalse("the same nonce again is a replay");
        }

        (await guard.TryRecordAsync("genesys-prod", longest + "m", 1700000500, now, Ct)).Should().BeTrue("another long nonce is another request");
        var spelt = "sha256:" + Convert.ToBase64String(System.Security.Cryptography.SHA256.HashData(System.Text.Encoding.UTF8.GetBytes(longest)));
        (await guard.TryRecordAsync("genesys-prod", spelt, 1700000500, now, Ct)).Should().BeTrue("a short nonce that spells a long one's digest is another nonce");
        (await guard.TryRecordAsync("genesys-prod", spelt, 1700000500, now, Ct)).Should().BeFalse("and is itself seen once only");
        var db = scope.ServiceProvider.GetRequiredService<Persistence.KeyManagerDbContext>();
        var stored = await db.Nonces.Where(n => n.Ts == 1700000500).Select(n => n.Nonce).ToListAsync(Ct);
        stored.Should().HaveCount(5).And.Contain(asSent);
        stored.Where(n => n != asSent).Should().HaveCount(4).And.OnlyContain(n => n.StartsWith("sha256:", StringComparison.Ordinal) && n.Length == 51);
    }

    [Fact]
    public async Task A_nonce_recorded_with_its_log_entry_is_first_once_and_only_that_entry_is_appended()
    {
        var t0 = Instant.FromUtc(2026, 11, 29, 15, 0);
        var now = _services.Clock.GetCurrentInstant();
        var use = new NonceUse("genesys-prod", "with-its-entry", 1700000100, now);
        var entries = Enumerable.Range(0, 8).Select(i => Entry(t0 + Duration.FromSeconds(i))).ToArray();
        var firsts = await Task.WhenAll(entries.Select(async entry =>
        {
            await using var scope = _services.Scope();
            return await scope.ServiceProvider.GetRequiredService<IRequestLog>().AppendIfFirstUseAsync(entry, use, Ct);
        }));

        firsts.Count(f => f).Should().Be(1);
        await using var check = _services.Scope();
        var log = check.ServiceProvider.GetRequiredService<IRequestLog>();
        (await log.QueryAsync(100, t0, t0 + Duration.FromMinutes(1), Ct)).Select(e => e.Id).Should().Equal(entries[Array.IndexOf(firsts, true)].Id);
        (await check.ServiceProvider.GetRequiredService<IReplayGuard>().TryRecordAsync(use.CredentialId, use.Nonce, use.Timestamp, now, Ct))
            .Should().BeFalse("a use recorded with its entry is a use like any other");
        (await log.AppendIfFirstUseAsync(Entry(t0 + Duration.FromSeconds(30)), use with { Nonce = "another" }, Ct)).Should().BeTrue();
        (await log.QueryAsync(100, t0, t0 + Duration.FromMinutes(1), Ct)).Should().HaveCount(2);
        (await _services.Get<Persistence.AuditChain.ChainVerifier>().VerifyAsync(Ct)).Intact.Should().BeTrue();
    }

    [Fact]
    public async Task Old_nonces_are_forgotten_and_recent_ones_kept()
    {
        await using var scope = _services.Scope();
        var guard = scope.ServiceProvider.GetRequiredService<IReplayGuard>();
        var now = _services.Clock.GetCurrentInstant();
        var tsNow = now.ToUnixTimeSeconds();
        await guard.TryRecordAsync("genesys-prod", "old", tsNow - 600, now, Ct);
        await guard.TryRecordAsync("genesys-prod", "new", tsNow, now - Duration.FromMinutes(10), Ct);

        (await guard.ForgetBeforeAsync(now - Duration.FromMinutes(5), Ct)).Should().Be(1, "a record goes by its timestamp, not by when it was seen");
        (await guard.TryRecordAsync("genesys-prod", "new", tsNow, now, Ct)).Should().BeFalse();
        (await guard.TryRecordAsync("genesys-prod", "old", tsNow - 600, now, Ct)).Should().BeTrue();
    }

    [Fact]
    public async Task A_backlog_of_old_nonces_larger_than_a_batch_is_all_forgotten_and_recent_ones_kept()
    {
        var now = _services.Clock.GetCurrentInstant();
        var old = (2 * Infrastructure.Persistence.Repositories.EfReplayGuard.ForgetBatch) + 7;
        await using (var fill = _services.Scope())
        {
            var db = fill.ServiceProvider.GetRequiredService<KeyManagerDbContext>();
            var tsNow = now.ToUnixTimeSeconds();
            db.Nonces.AddRange(Enumerable.Range(0, old).Select(i => new NonceRow { CredentialId = "genesys-prod", Nonce = $"old-{i}", Ts = tsNow - 600 - i, SeenAt = now }));
            db.Nonces.AddRange(Enumerable.Range(0, 3).Select(i => new NonceRow { CredentialId = "genesys-prod", Nonce = $"new-{i}", Ts = tsNow - i, SeenAt = now }));
            await db.SaveChangesAsync(Ct);
        }

        await using var scope = _services.Scope();
        var guard = scope.ServiceProvider.GetRequiredService<IReplayGuard>();
        (await guard.ForgetBeforeAsync(now - Duration.FromMinutes(5), Ct)).Should().Be(old);
        (await scope.ServiceProvider.GetRequiredService<KeyManagerDbContext>().Nonces.Select(n => n.Nonce).ToListAsync(Ct)).Should().BeEquivalentTo("new-0", "new-1", "new-2");
    }

    [Fact]
    public async Task Registering_the_same_credential_id_concurrently_lets_exactly_one_win()
    {
        var outcomes = await Task.WhenAll(Enumerable.Range(0, 6).Select(async _ =>
        {
            await using var scope = _services.Scope();
            var handler = new RegisterHawkCredentialHandler(scope.ServiceProvider.GetRequiredService<ICredentialRepository>(), _services.Get<IKeyProtector>(), _services.Clock);
            try
            {
                await handler.Handle(new RegisterHawkCredential("genesys-race", null), Ct);
                return true;
            }
            catch (LocalKeyManager.Application.Errors.ConflictException)
            {
                return false;
            }
        }));

        outcomes.Count(o => o).Should().Be(1);
    }

    [Fact]
    public async Task The_request_log_filters_inclusively_newest_first_and_purges_with_a_record()
    {
        var t0 = Instant.FromUtc(2026, 11, 29, 12, 0);
        await using var scope = _services.Scope();
        var log = scope.ServiceProvider.GetRequiredService<IRequestLog>();
        for (var i = 0; i < 5; i++)
        {
            await log.AppendAsync(Entry(t0 + Duration.FromSeconds(i)), Ct);
        }

        var window = await log.QueryAsync(10, t0 + Duration.FromSeconds(1), t0 + Duration.FromSeconds(3), Ct);
        window.Select(e => e.Timestamp).Should().Equal(t0 + Duration.FromSeconds(3), t0 + Duration.FromSeconds(2), t0 + Duration.FromSeconds(1));
        (await log.QueryAsync(2, t0, t0 + Duration.FromHours(1), Ct)).Should().HaveCount(2);

        var purged = await log.PurgeAsync(t0 + Duration.FromSeconds(3), n => Entry(t0 + Duration.FromMinutes(1)) with { Detail = $"purged {n}" }, Ct);

        purged.Should().Be(4);
        var left = await log.QueryAsync(10, t0, t0 + Duration.FromHours(1), Ct);
        left.Select(e => e.Detail).Should().Equal("purged 4 The chain went up to entry 5 before the purge, which deleted every entry before entry 5.", null);
    }

    [Fact]
    public async Task A_bad_write_in_a_group_commit_fails_alone_and_its_neighbours_commit()
    {
        var t0 = Instant.FromUtc(2026, 11, 29, 13, 0);
        var duplicate = Entry(t0);
        await using var scope = _services.Scope();
        var log = scope.ServiceProvider.GetRequiredService<IRequestLog>();
        await log.AppendAsync(duplicate, Ct);

        var writes = Enumerable.Range(1, 20).Select(i => log.AppendAsync(Entry(t0 + Duration.FromSeconds(i)), Ct))
            .Append(log.AppendAsync(duplicate with { Detail = "same id again" }, Ct))
            .ToArray();
        var outcomes = await Task.WhenAll(writes.Select(async w =>
        {
            try
            {
                await w;
                return true;
            }
            catch (Exception e) when (e is Microsoft.EntityFrameworkCore.DbUpdateException or System.Data.Common.DbException)
            {
                return false;
            }
        }));

        outcomes.Count(o => !o).Should().Be(1);
        (await log.QueryAsync(100, t0, t0 + Duration.FromMinutes(1), Ct)).Should().HaveCount(21);
        (await _services.Get<Persistence.AuditChain.ChainVerifier>().VerifyAsync(Ct)).Intact.Should().BeTrue("a failed write leaves no hole in the chain");
    }

    [Fact]
    public async Task Concurrent_appends_form_one_chain_and_verification_finds_alterations_removals_and_truncation()
    {
        var t0 = Instant.FromUtc(2026, 11, 29, 14, 0);
        await Task.WhenAll(Enumerable.Range(0, 40).Select(async i =>
        {
            await using var scope = _services.Scope();
            await scope.ServiceProvider.GetRequiredService<IRequestLog>().AppendAsync(Entry(t0 + Duration.FromMilliseconds(i)), Ct);
        }));
        var verifier = _services.Get<Persistence.AuditChain.ChainVerifier>();

        var intact = await verifier.VerifyAsync(Ct);
        intact.Intact.Should().BeTrue(intact.Problem);
        intact.Entries.Should().Be(40);
        intact.FirstSeq.Should().Be(1);
        intact.LastSeq.Should().Be(40);

        await using var scope2 = _services.Scope();
        var db = scope2.ServiceProvider.GetRequiredService<Persistence.KeyManagerDbContext>();
        await db.Database.ExecuteSqlRawAsync("UPDATE request_log SET status = 599 WHERE seq = 17", Ct);
        var altered = await verifier.VerifyAsync(Ct);
        altered.BrokenAtSeq.Should().Be(17);
        altered.Problem.Should().Contain("altered");

        await db.Database.ExecuteSqlRawAsync("DELETE FROM request_log WHERE seq >= 17 AND seq <= 18", Ct);
        (await verifier.VerifyAsync(Ct)).Problem.Should().Contain("17..18 are missing");

        await db.Database.ExecuteSqlRawAsync("DELETE FROM request_log WHERE seq >= 17", Ct);
        (await verifier.VerifyAsync(Ct)).Problem.Should().Contain("removed from the end");
    }

    [Fact]
    public async Task Entries_deleted_from_the_start_of_the_chain_without_a_purge_are_found()
    {
        var t0 = Instant.FromUtc(2026, 11, 29, 14, 30);
        await using var scope = _services.Scope();
        for (var i = 0; i < 4; i++)
        {
            await scope.ServiceProvider.GetRequiredService<IRequestLog>().AppendAsync(Entry(t0 + Duration.FromSeconds(i)), Ct);
        }

        var db = scope.ServiceProvider.GetRequiredService<Persistence.KeyManagerDbContext>();
        await db.Database.ExecuteSqlRawAsync("DELETE FROM request_log WHERE seq <= 2", Ct);

        var report = await _services.Get<Persistence.AuditChain.ChainVerifier>().VerifyAsync(Ct);
        report.Intact.Should().BeFalse("what is left still links up, but nothing says where entries 1 and 2 went");
        report.BrokenAtSeq.Should().Be(1);
        report.Problem.Should().Be("entries 1..2 are missing: the log starts at entry 3 and no purge record says they were purged");
    }

    [Fact]
    public async Task A_purge_cuts_only_the_start_of_the_chain_and_entries_deleted_past_it_are_found()
    {
        // The chain's order is the order of writing, not of timestamps: the fourth entry is older
        // than the third (an entry held through an outage is written after newer ones).
        var t0 = Instant.FromUtc(2026, 11, 29, 14, 45);
        await using var scope = _services.Scope();
        var log = scope.ServiceProvider.GetRequiredService<IRequestLog>();
        foreach (var seconds in new[] { 0, 1, 5, 2, 6 })
        {
            await log.AppendAsync(Entry(t0 + Duration.FromSeconds(seconds)), Ct);
        }

        var purged = await log.PurgeAsync(t0 + Duration.FromSeconds(3), n => Entry(t0 + Duration.FromMinutes(1)) with { Detail = $"purged {n}" }, Ct);

        purged.Should().Be(2, "entries 1 and 2; entry 4, older than the cut-off but after entry 3 in the chain, stays");
        var verifier = _services.Get<Persistence.AuditChain.ChainVerifier>();
        var report = await verifier.VerifyAsync(Ct);
        report.Intact.Should().BeTrue(report.Problem);
        (report.FirstSeq, report.LastSeq).Should().Be((3L, 6L));

        var db = scope.ServiceProvider.GetRequiredService<Persistence.KeyManagerDbContext>();
        await db.Database.ExecuteSqlRawAsync("DELETE FROM request_log WHERE seq = 3", Ct);
        var broken = await verifier.VerifyAsync(Ct);
        broken.BrokenAtSeq.Should().Be(3);
        broken.Problem.Should().Be("entries 3..3 are missing: the newest purge (entry 6) deleted only the entries before entry 3");
    }

    [Fact]
    public async Task Two_instances_appending_at_once_build_one_chain_not_a_fork()
    {
        await using var second = await _services.AnotherInstanceAsync();
        var t0 = Instant.FromUtc(2026, 11, 29, 16, 0);

        await Task.WhenAll(Enumerable.Range(0, 60).Select(async i =>
        {
            await using var scope = (i % 2 == 0 ? _services : second).Scope();
            await scope.ServiceProvider.GetRequiredService<IRequestLog>().AppendAsync(Entry(t0 + Duration.FromMilliseconds(i)), Ct);
        }));

        await ChainShouldBeIntactWithAsync(60);
    }

    [Fact]
    public async Task Nonces_used_on_two_instances_at_once_are_first_once_each_and_only_first_uses_are_logged_in_one_chain()
    {
        var t0 = Instant.FromUtc(2026, 11, 29, 17, 0);
        await using var second = await AppendThenStartAnotherInstanceAsync(Entry(t0 - Duration.FromSeconds(1)));
        var now = _services.Clock.GetCurrentInstant();

        // 30 nonces, each used three times at once: twice on this instance, once on the other.
        var uses = Enumerable.Range(0, 90)
            .Select(i => (Instance: i % 3 == 2 ? second : _services, Use: new NonceUse("genesys-prod", $"both-{i / 3}", 1700000200, now), Entry: Entry(t0 + Duration.FromMilliseconds(i))))
            .ToArray();
        var firsts = await Task.WhenAll(uses.Select(async u =>
        {
            await using var scope = u.Instance.Scope();
            return await scope.ServiceProvider.GetRequiredService<IRequestLog>().AppendIfFirstUseAsync(u.Entry, u.Use, Ct);
        }));

        for (var n = 0; n < 30; n++)
        {
            firsts.Skip(3 * n).Take(3).Count(f => f).Should().Be(1, $"nonce both-{n} has exactly one first use");
        }

        await using var check = _services.Scope();
        var logged = await check.ServiceProvider.GetRequiredService<IRequestLog>().QueryAsync(200, t0, t0 + Duration.FromMinutes(1), Ct);
        logged.Select(e => e.Id).Should().BeEquivalentTo(uses.Where((_, i) => firsts[i]).Select(u => u.Entry.Id), "a replay leaves no entry, and every first use has one");
        await ChainShouldBeIntactWithAsync(31);
    }

    [Fact]
    public async Task A_nonce_used_elsewhere_a_moved_head_and_a_bad_entry_each_fail_alone_in_a_writer_pass()
    {
        var t0 = Instant.FromUtc(2026, 11, 29, 18, 0);
        var duplicate = Entry(t0);
        await using var second = await AppendThenStartAnotherInstanceAsync(duplicate);
        var now = _services.Clock.GetCurrentInstant();
        var secondsEntry = Entry(t0 + Duration.FromSeconds(1));

        // The other instance uses nonce X first, and so moves the head past what this one knows.
        var x = new NonceUse("genesys-prod", "used-elsewhere", 1700000300, now);
        var xEntry = Entry(t0 + Duration.FromSeconds(2));
        await using (var other = second.Scope())
        {
            var otherLog = other.ServiceProvider.GetRequiredService<IRequestLog>();
            await otherLog.AppendAsync(secondsEntry, Ct);
            (await otherLog.AppendIfFirstUseAsync(xEntry, x, Ct)).Should().BeTrue();
        }

        await using var scope = _services.Scope();
        var log = scope.ServiceProvider.GetRequiredService<IRequestLog>();
        var fresh = Entry(t0 + Duration.FromSeconds(4));
        var replay = log.AppendIfFirstUseAsync(Entry(t0 + Duration.FromSeconds(3)), x, Ct);
        var first = log.AppendIfFirstUseAsync(fresh, x with { Nonce = "fresh" }, Ct);
        var bad = Outcome(log.AppendAsync(duplicate with { Detail = "same id again" }, Ct));
        (await replay).Should().BeFalse("the nonce was used on the other instance");
        (await first).Should().BeTrue("neither the replay nor the bad entry in its pass may fail it");
        (await bad).Should().BeFalse("an entry whose id exists is refused");

        // Again, once this writer knows the head (the failed entry left it unknown): every nonce
        // new, one bad entry beside them.
        var relearn = Entry(t0 + Duration.FromSeconds(4.5));
        await log.AppendAsync(relearn, Ct);
        var freshAgain = Entry(t0 + Duration.FromSeconds(5));
        var again = log.AppendIfFirstUseAsync(freshAgain, x with { Nonce = "fresh-again" }, Ct);
        var badAgain = Outcome(log.AppendAsync(duplicate with { Detail = "same id once more" }, Ct));
        (await again).Should().BeTrue("a bad entry sent with a new nonce must not cost it a 503");
        (await badAgain).Should().BeFalse();

        var logged = await log.QueryAsync(100, t0, t0 + Duration.FromMinutes(1), Ct);
        logged.Select(e => e.Id).Should().BeEquivalentTo([duplicate.Id, secondsEntry.Id, xEntry.Id, fresh.Id, relearn.Id, freshAgain.Id]);
        await ChainShouldBeIntactWithAsync(6);

        static async Task<bool> Outcome(Task write)
        {
            try
            {
                await write;
                return true;
            }
            catch (Exception e) when (e is DbUpdateException or System.Data.Common.DbException)
            {
                return false;
            }
        }
    }

    [Fact]
    public async Task A_purge_leaves_a_checkpoint_and_the_rest_of_the_chain_verifiable()
    {
        var t0 = Instant.FromUtc(2026, 11, 29, 15, 0);
        await using var scope = _services.Scope();
        var log = scope.ServiceProvider.GetRequiredService<IRequestLog>();
        for (var i = 0; i < 5; i++)
        {
            await log.AppendAsync(Entry(t0 + Duration.FromSeconds(i)), Ct);
        }

        await log.PurgeAsync(t0 + Duration.FromSeconds(2), n => Entry(t0 + Duration.FromMinutes(1)) with { Detail = $"purged {n}" }, Ct);
        await log.AppendAsync(Entry(t0 + Duration.FromMinutes(2)), Ct);

        var report = await _services.Get<Persistence.AuditChain.ChainVerifier>().VerifyAsync(Ct);
        report.Intact.Should().BeTrue(report.Problem);
        report.Entries.Should().Be(4, "2 survivors, the checkpoint and one more");
        report.FirstSeq.Should().Be(4);
        var entries = await log.QueryAsync(10, t0, t0 + Duration.FromHours(1), Ct);
        entries.Should().Contain(e => e.Detail != null && e.Detail.StartsWith("purged 3", StringComparison.Ordinal) && e.Detail.Contains("up to entry 5", StringComparison.Ordinal));
    }

    [Fact]
    public async Task Lifecycle_changes_are_stored_and_destruction_erases_the_private_key_column()
    {
        await using var scope = _services.Scope();
        var keypairs = scope.ServiceProvider.GetRequiredService<IKeypairRepository>();
        var keypair = Keypair.Create(KeypairId.New(), [1, 2, 3], new WrappedKey("local:v1", [4, 5, 6]), _services.Clock.GetCurrentInstant());
        (await keypairs.TryAddAsync(keypair, Ct)).Should().BeTrue();
        (await keypairs.TryAddAsync(keypair, Ct)).Should().BeFalse("the id exists");

        keypair.ScheduleDestruction(_services.Clock.GetCurrentInstant(), 7);
        (await keypairs.TryUpdateLifecycleAsync(keypair, KeyState.Enabled, null, Ct)).Should().BeTrue();
        (await keypairs.ListDueForDestructionAsync(_services.Clock.GetCurrentInstant(), Ct)).Should().BeEmpty();
        var later = _services.Clock.GetCurrentInstant() + Duration.FromDays(7);
        var due = await keypairs.ListDueForDestructionAsync(later, Ct);
        var when = due.Should().ContainSingle().Subject.DestroyAt!.Value;
        due[0].DestroyIfDue(later).Should().BeTrue();
        var record = Entry(later) with { CredentialId = "system", RequestMethod = "DESTROY", KeypairId = keypair.Id.ToString() };

        (await keypairs.TryDestroyAsync(due[0], when + Duration.FromSeconds(1), record with { Id = Guid.NewGuid() }, Ct)).Should().BeFalse("rescheduled meanwhile: not the destruction that was due");
        (await keypairs.FindAsync(keypair.Id, Ct))!.PrivateKey.Should().NotBeNull();
        (await keypairs.TryDestroyAsync(due[0], when, record, Ct)).Should().BeTrue();
        (await keypairs.TryDestroyAsync(due[0], when, record with { Id = Guid.NewGuid() }, Ct)).Should().BeFalse("another instance's job, arriving second, neither destroys nor records it again");

        var log = await scope.ServiceProvider.GetRequiredService<IRequestLog>().QueryAsync(100, later - Duration.FromDays(1), later + Duration.FromDays(1), Ct);
        log.Should().ContainSingle(e => e.RequestMethod == "DESTROY").Which.Id.Should().Be(record.Id, "the record committed with the erase, once");
        (await _services.Get<Persistence.AuditChain.ChainVerifier>().VerifyAsync(Ct)).Intact.Should().BeTrue();

        var stored = await keypairs.FindAsync(keypair.Id, Ct);
        stored!.State.Should().Be(KeyState.Destroyed);
        stored.PrivateKey.Should().BeNull();
        stored.PublicKey.Should().Equal(1, 2, 3);
        var row = await StoredRowAsync(scope.ServiceProvider, keypair.Id);
        row.WrappedPrivateKey.Should().BeNull();
        row.KekId.Should().BeNull();
    }

    [Fact]
    public async Task A_lifecycle_change_made_on_a_stale_read_changes_nothing()
    {
        await using var scope = _services.Scope();
        var keypairs = scope.ServiceProvider.GetRequiredService<IKeypairRepository>();
        var now = _services.Clock.GetCurrentInstant();
        var (keypair, first, second) = await AddAndReadTwiceAsync(keypairs);

        // Two administrators read it enabled; the first schedules its destruction, then the second's disable arrives.
        first.ScheduleDestruction(now, 7);
        (await keypairs.TryUpdateLifecycleAsync(first, KeyState.Enabled, null, Ct)).Should().BeTrue();
        second.Disable();
        (await keypairs.TryUpdateLifecycleAsync(second, KeyState.Enabled, null, Ct)).Should().BeFalse("the row is no longer as the second read it");
        var stored = (await keypairs.FindAsync(keypair.Id, Ct))!;
        stored.State.Should().Be(KeyState.PendingDestruction, "the scheduled destruction was not silently dropped");
        var when = stored.DestroyAt!.Value;

        var beforeDestruction = (await keypairs.FindAsync(keypair.Id, Ct))!;
        var cancelling = (await keypairs.FindAsync(keypair.Id, Ct))!;

        // The destruction job erases the key; a cancel read before it must not bring the keypair back.
        beforeDestruction.DestroyIfDue(when).Should().BeTrue();
        (await keypairs.TryDestroyAsync(beforeDestruction, when, Entry(when) with { CredentialId = "system", RequestMethod = "DESTROY" }, Ct)).Should().BeTrue();
        cancelling.CancelDestruction();
        (await keypairs.TryUpdateLifecycleAsync(cancelling, KeyState.PendingDestruction, when, Ct)).Should().BeFalse();

        var row = await StoredRowAsync(scope.ServiceProvider, keypair.Id);
        new { row.State, row.WrappedPrivateKey, row.KekId, row.DestroyAt }.Should().BeEquivalentTo(
            new { State = (int)KeyState.Destroyed, WrappedPrivateKey = (byte[]?)null, KekId = (string?)null, DestroyAt = (Instant?)null },
            "still destroyed, with no private key");
    }

    [Fact]
    public async Task The_same_lifecycle_change_made_twice_from_one_read_is_not_a_conflict()
    {
        await using var scope = _services.Scope();
        var keypairs = scope.ServiceProvider.GetRequiredService<IKeypairRepository>();
        var (keypair, first, second) = await AddAndReadTwiceAsync(keypairs);
        var now = _services.Clock.GetCurrentInstant();

        // Two administrators, or a retry of one whose answer was lost: the keypair is already as asked.
        first.ScheduleDestruction(now, 7);
        second.ScheduleDestruction(now, 7);
        (await keypairs.TryUpdateLifecycleAsync(first, KeyState.Enabled, null, Ct)).Should().BeTrue();
        (await keypairs.TryUpdateLifecycleAsync(second, KeyState.Enabled, null, Ct)).Should().BeTrue();

        // Cancelled from what was read: not the state the first change left, so a conflict.
        second.CancelDestruction();
        second.Enable();
        (await keypairs.TryUpdateLifecycleAsync(second, KeyState.Enabled, null, Ct)).Should().BeFalse();
        (await keypairs.FindAsync(keypair.Id, Ct))!.State.Should().Be(KeyState.PendingDestruction);
    }

    [Fact]
    public async Task A_lifecycle_change_keeps_a_key_the_rotation_rewrapped_after_it_was_read()
    {
        await using var scope = _services.Scope();
        var keypairs = scope.ServiceProvider.GetRequiredService<IKeypairRepository>();
        var (keypair, read, _) = await AddAndReadTwiceAsync(keypairs);
        var db = scope.ServiceProvider.GetRequiredService<Persistence.KeyManagerDbContext>();
        await db.Keypairs.Where(k => k.Id == keypair.Id.Value).ExecuteUpdateAsync(u => u.SetProperty(k => k.WrappedPrivateKey, new byte[] { 7, 7 }).SetProperty(k => k.KekId, "local:v2"), Ct);

        read.Disable();
        (await keypairs.TryUpdateLifecycleAsync(read, KeyState.Enabled, null, Ct)).Should().BeTrue();

        var row = await StoredRowAsync(scope.ServiceProvider, keypair.Id);
        row.State.Should().Be((int)KeyState.Disabled);
        row.WrappedPrivateKey.Should().Equal(7, 7);
        row.KekId.Should().Be("local:v2", "writing back the blob it read would undo the re-wrap and leave the key under the retired master key");
    }

    [Fact]
    public async Task The_public_listing_has_every_keypair_newest_first_with_its_state_and_no_private_key()
    {
        await using var scope = _services.Scope();
        var keypairs = scope.ServiceProvider.GetRequiredService<IKeypairRepository>();
        var now = _services.Clock.GetCurrentInstant();
        var older = Keypair.Create(KeypairId.New(), [1, 2], new WrappedKey("local:v1", [9, 9]), now - Duration.FromMinutes(1));
        var newer = Keypair.Create(KeypairId.New(), [3, 4], new WrappedKey("local:v1", [8, 8]), now);
        (await keypairs.TryAddAsync(older, Ct)).Should().BeTrue();
        (await keypairs.TryAddAsync(newer, Ct)).Should().BeTrue();
        older.ScheduleDestruction(now, 7);
        (await keypairs.TryUpdateLifecycleAsync(older, KeyState.Enabled, null, Ct)).Should().BeTrue();

        var listed = await keypairs.ListPublicAsync(Ct);

        listed.Select(k => k.Id).Should().Equal(newer.Id, older.Id);
        listed[0].PublicKey.Should().Equal(3, 4);
        listed[0].State.Should().Be(KeyState.Enabled);
        Math.Abs((listed[0].CreatedAt - newer.CreatedAt).TotalMilliseconds).Should().BeLessThan(1, "stored to the microsecond");
        listed[1].State.Should().Be(KeyState.PendingDestruction);
        Math.Abs((listed[1].DestroyAt!.Value - (now + Duration.FromDays(7))).TotalMilliseconds).Should().BeLessThan(1);
        typeof(PublicKeypair).GetProperties().Select(p => p.PropertyType).Should().NotContain(typeof(WrappedKey));
    }

    /// <summary>A new keypair, stored, and two reads of it, as two requests would each have.</summary>
    private async Task<(Keypair Added, Keypair First, Keypair Second)> AddAndReadTwiceAsync(IKeypairRepository keypairs)
    {
        var keypair = Keypair.Create(KeypairId.New(), [1, 2, 3], new WrappedKey("local:v1", [4, 5, 6]), _services.Clock.GetCurrentInstant());
        (await keypairs.TryAddAsync(keypair, Ct)).Should().BeTrue();
        return (keypair, (await keypairs.FindAsync(keypair.Id, Ct))!, (await keypairs.FindAsync(keypair.Id, Ct))!);
    }

    /// <summary>The keypair's row as stored, past the repository.</summary>
    private static Task<Persistence.KeypairRow> StoredRowAsync(IServiceProvider services, KeypairId id) =>
        services.GetRequiredService<Persistence.KeyManagerDbContext>().Keypairs.AsNoTracking().SingleAsync(k => k.Id == id.Value, Ct);

    private async Task ChainShouldBeIntactWithAsync(int entries)
    {
        var report = await _services.Get<Persistence.AuditChain.ChainVerifier>().VerifyAsync(Ct);
        report.Intact.Should().BeTrue(report.Problem);
        report.Entries.Should().Be(entries);
    }

    /// <summary>
    /// Appends <paramref name="entry"/> on this instance, whose writer then knows the chain head
    /// (on PostgreSQL its next passes send their nonces and entries in one statement), and starts
    /// a second instance on the same database, whose writer does not know it yet.
    /// </summary>
    private async Task<TestServices> AppendThenStartAnotherInstanceAsync(RequestLogEntry entry)
    {
        await using (var scope = _services.Scope())
        {
            await scope.ServiceProvider.GetRequiredService<IRequestLog>().AppendAsync(entry, Ct);
        }

        return await _services.AnotherInstanceAsync();
    }

    [Fact]
    public async Task A_statement_postgres_refuses_leaves_the_connection_fit_for_the_next_pass()
    {
        var (scope, db, dialect) = PostgresPreparation();
        await using var _ = scope;
        var t0 = Instant.FromUtc(2026, 12, 1, 7, 0);
        async Task<bool> AppendAsync(Instant at, string? refusedText = null)
        {
            var head = await db.ChainHead.AsNoTracking().SingleAsync(Ct);
            var entry = Entry(at);
            if (refusedText is not null)
            {
                // A value the entry itself would never hold (it replaces NUL), put in its field as it is.
                typeof(RequestLogEntry).GetField("<UserId>k__BackingField", System.Reflection.BindingFlags.Instance | System.Reflection.BindingFlags.NonPublic)!.SetValue(entry, refusedText);
            }

            return await dialect.TryAppendChainedAsync(db, head, LinkedEntry.After(head, [entry]), Ct);
        }

        // Refused (PostgreSQL takes no NUL in text) in the use that prepares it automatically (the
        // second), then used again: each answer read must be that statement's own.
        (await AppendAsync(t0)).Should().BeTrue();
        await FluentActions.Awaiting(() => AppendAsync(t0, refusedText: "user\0")).Should().ThrowAsync<Npgsql.PostgresException>();
        dialect.ForgetPreparedStatements(db); // as the group commit does after any refused statement
        for (var i = 1; i < 6; i++)
        {
            (await AppendAsync(t0 + Duration.FromSeconds(i))).Should().BeTrue();
        }

        await ChainShouldBeIntactWithAsync(6);
    }

    [Fact]
    public async Task A_statement_refused_on_a_connection_already_back_in_the_pool_is_forgotten_there_too()
    {
        var (scope, db, dialect) = PostgresPreparation();
        await using var _ = scope;
        var t0 = Instant.FromUtc(2026, 12, 1, 7, 0);
        Task<HashSet<(string, string, long)>> InsertAsync(string nonce, int i) =>
            dialect.InsertNoncesIfAbsentAsync(db, [new NonceRow { CredentialId = "genesys-prod", Nonce = nonce, Ts = 1_700_000_000 + i, SeenAt = t0 }], Ct);

        // The nonce insert closes its connection when it is done, as the writer's statements do:
        // the reset after the refusal finds the connection back in the pool.
        (await InsertAsync("n0", 0)).Should().HaveCount(1);
        await FluentActions.Awaiting(() => InsertAsync("bad\0nonce", 1)).Should().ThrowAsync<Npgsql.PostgresException>();
        dialect.ForgetPreparedStatements(db);
        for (var i = 2; i < 6; i++)
        {
            (await InsertAsync($"n{i}", i)).Should().Equal(("genesys-prod", $"n{i}", 1_700_000_000L + i));
        }
    }

    /// <summary>A context and the dialect on PostgreSQL, whose automatic statement preparation these tests are about.</summary>
    private (AsyncServiceScope Scope, KeyManagerDbContext Db, IDatabaseDialect Dialect) PostgresPreparation()
    {
        Assert.SkipWhen(DatabaseProvider != "postgres", "Npgsql's automatic statement preparation is PostgreSQL's alone");
        var scope = _services.Scope();
        return (scope, scope.ServiceProvider.GetRequiredService<KeyManagerDbContext>(), scope.ServiceProvider.GetRequiredService<IDatabaseDialect>());
    }

    internal static RequestLogEntry Entry(Instant at) => new()
    {
        Id = Guid.NewGuid(),
        Timestamp = at,
        CredentialId = "admin-ops",
        UserId = RequestLogEntry.NoUserId,
        RequestMethod = "GET",
        RequestUri = "/key-management/v1/keypair",
        Status = 200,
        DurationMs = 1.5,
    };
}

public sealed class SqlitePersistenceTests : PersistenceTests
{
    protected override string DatabaseProvider => "sqlite";
}

public sealed class PostgresPersistenceTests : PersistenceTests
{
    protected override string DatabaseProvider => "postgres";
}

public sealed class SqlServerPersistenceTests : PersistenceTests
{
    protected override string DatabaseProvider => "sqlserver";
}
