using System.Diagnostics;
using System.Net;
using System.Net.Http.Json;
using System.Text.Json;
using LocalKeyManager.TestSupport;
using Npgsql;

namespace LocalKeyManager.Api.FunctionalTests;

/// <summary>
/// PostgreSQL refusing the service's connections: requests answer 503 problems quickly (never
/// 500, never a hang), readiness fails, and the service recovers by itself when it is back.
/// </summary>
[Collection(TimedAlone.Name)]
public sealed class DatabaseOutageTests
{
    [Fact]
    public async Task While_postgres_refuses_connections_requests_get_503_and_the_service_recovers_by_itself()
    {
        Assert.SkipWhen(TestDatabase.PostgresServer is null, TestDatabase.PostgresSkipReason);
        var ct = TestContext.Current.CancellationToken;
        await using var database = await TestDatabase.CreateAsync("postgres");
        var (role, settings) = await DataOnlyRoleAsync(database, "lkm_outage_");
        await using var owner = new NpgsqlConnection(TestDatabase.PostgresServer);
        await owner.OpenAsync(ct);
        await using var factory = new LkmFactory(database.Directory, settings);
        using var client = factory.CreateHawkClient(await factory.CreateCredentialAsync("genesys-during"));
        using var anonymous = factory.CreateClient();
        (await client.GetAsync("/key-management/v1/keypair", ct)).StatusCode.Should().Be(HttpStatusCode.OK);

        // The outage: no new connections for the service's role, and its open ones are cut.
        await ExecuteAsync(owner, $"ALTER ROLE {role} CONNECTION LIMIT 0");
        await ExecuteAsync(owner, $"SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE usename = '{role}'");

        var watch = Stopwatch.StartNew();
        var during = await client.PostAsJsonAsync("/key-management/v1/keypair", new { }, ct);
        var answeredIn = watch.Elapsed;
        var listed = await client.GetAsync("/key-management/v1/keypair", ct);
        var ready = await anonymous.GetAsync("/health/ready", ct);
        var live = await anonymous.GetAsync("/health", ct);

        (await during.ShouldBeProblemAsync(HttpStatusCode.ServiceUnavailable)).GetProperty("detail").GetString().Should().NotContain("Npgsql");
        during.Headers.RetryAfter.Should().NotBeNull();
        await listed.ShouldBeProblemAsync(HttpStatusCode.ServiceUnavailable);
        answeredIn.Should().BeLessThan(TimeSpan.FromSeconds(5));
        (await ready.ShouldBeProblemAsync(HttpStatusCode.ServiceUnavailable)).GetProperty("detail").GetString().Should().Contain("database");
        live.StatusCode.Should().Be(HttpStatusCode.OK, "liveness checks nothing outside the process");
        factory.Logs.Lines.Where(l => l.StartsWith("Error Microsoft.EntityFrameworkCore", StringComparison.Ordinal))
            .Should().BeEmpty("a failed request is logged once, by the service's own handler, not again by EF Core");
        factory.Logs.Lines.Should().Contain(l => l.StartsWith("Error LocalKeyManager", StringComparison.Ordinal) || l.StartsWith("Warning LocalKeyManager", StringComparison.Ordinal));

        await ExecuteAsync(owner, $"ALTER ROLE {role} CONNECTION LIMIT -1");
        var recovered = await client.GetAsync("/key-management/v1/keypair", ct);
        recovered.StatusCode.Should().Be(HttpStatusCode.OK);
        (await anonymous.GetAsync("/health/ready", ct)).StatusCode.Should().Be(HttpStatusCode.OK);
        await ExecuteAsync(owner, $"SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE usename = '{role}'");
    }

    [Fact]
    public async Task A_statement_the_database_does_not_answer_gets_a_503_in_time_and_is_logged()
    {
        Assert.SkipWhen(TestDatabase.PostgresServer is null, TestDatabase.PostgresSkipReason);
        var ct = TestContext.Current.CancellationToken;
        await using var database = await TestDatabase.CreateAsync("postgres");
        // The driver's own command timeout is far off: only the service's wait can end these requests in time.
        var settings = new Dictionary<string, string?>(database.Settings)
        {
            ["ConnectionStrings:KeyManager"] = new NpgsqlConnectionStringBuilder(database.ConnectionString) { CommandTimeout = 60 }.ConnectionString,
        };
        await using var factory = new LkmFactory(database.Directory, settings);
        using var client = factory.CreateHawkClient(await factory.CreateCredentialAsync("genesys-waiting"));
        using var admin = factory.CreateHawkClient(await factory.CreateCredentialAsync("admin-waiting", "admin"));
        (await client.GetAsync("/key-management/v1/keypair", ct)).StatusCode.Should().Be(HttpStatusCode.OK);

        // The write is an import, not POST /keypair: generating an RSA-3072 key on a loaded 2-core
        // machine took seconds before any statement ran (CI: 6.3 s in all), and that is CPU, not
        // the database wait this test is about.
        using var key = System.Security.Cryptography.RSA.Create(2048);
        var import = new { privateKey = key.ExportPkcs8PrivateKeyPem() };

        // Another session holds the keypair table: statements on it wait, the rest of the database answers.
        await using var owner = new NpgsqlConnection(database.ConnectionString);
        await owner.OpenAsync(ct);
        await using (var holding = await owner.BeginTransactionAsync(ct))
        {
            await ExecuteAsync(owner, "LOCK TABLE keypairs IN ACCESS EXCLUSIVE MODE");
            var watch = Stopwatch.StartNew();
            var listing = await client.GetAsync("/key-management/v1/keypair", ct);
            var listedIn = watch.Elapsed;
            watch.Restart();
            var creating = await admin.PostAsJsonAsync("/key-management/v1/keypair/import", import, ct);
            var createdIn = watch.Elapsed;
            await holding.RollbackAsync(ct);

            foreach (var (answer, took) in new[] { (listing, listedIn), (creating, createdIn) })
            {
                (await answer.ShouldBeProblemAsync(HttpStatusCode.ServiceUnavailable)).GetProperty("detail").GetString().Should().Contain("did not answer in time");
                answer.Headers.RetryAfter.Should().NotBeNull();
                took.Should().BeLessThan(TimeSpan.FromSeconds(5));
            }
        }

        // The database answers again. The insert given up on was not stopped, and commits now: the
        // 503 said the change might still be made. Both refusals are in the request log.
        var created = await ListedKeypairsAfterAsync(client, 1, ct);
        created.Should().Be(1);
        var entries = await admin.GetFromJsonAsync<JsonElement[]>("/key-management/v1/request-log?maxEntries=100", ct);
        entries!.Where(e => e.GetProperty("requestUri").GetString()!.StartsWith("/key-management/v1/keypair", StringComparison.Ordinal) && e.GetProperty("status").GetInt32() == 503)
            .Select(e => e.GetProperty("requestMethod").GetString() + " " + e.GetProperty("requestUri").GetString())
            .Should().BeEquivalentTo(["GET /key-management/v1/keypair", "POST /key-management/v1/keypair/import"]);
    }

    [Fact]
    public async Task A_keypair_creation_answered_503_names_in_its_entry_the_keypair_it_may_still_create()
    {
        Assert.SkipWhen(TestDatabase.PostgresServer is null, TestDatabase.PostgresSkipReason);
        var ct = TestContext.Current.CancellationToken;
        await using var service = await OnPostgres.StartAsync("naming");
        var (client, admin) = (service.Client, service.Admin);

        // The keypair table hangs for 5 s: the insert waits, the request is answered 503, and the
        // insert, not stopped, may commit when the table is let go (seen in a probe: a keypair with
        // no entry naming it).
        var answer = await service.WhileLockedAsync("keypairs", () => client.PostAsync("/key-management/v1/keypair", null, ct));

        await answer.ShouldBeProblemAsync(HttpStatusCode.ServiceUnavailable);
        var entry = (await admin.GetFromJsonAsync<JsonElement[]>("/key-management/v1/request-log?maxEntries=100", ct))!
            .Should().ContainSingle(e => e.GetProperty("requestMethod").GetString() == "POST" && e.GetProperty("credentialId").GetString() == "genesys-naming").Subject;
        entry.GetProperty("status").GetInt32().Should().Be(503);
        var named = entry.GetProperty("keypairId").GetString();
        Guid.TryParse(named, out _).Should().BeTrue("the entry names the id the keypair was to have");
        await Task.Delay(TimeSpan.FromSeconds(1), ct);
        (await client.GetFromJsonAsync<JsonElement[]>("/key-management/v1/keypair", ct))!.Select(k => k.GetProperty("id").GetString())
            .Should().BeSubsetOf([named], "a keypair the request made after all is the one its entry names");
    }

    [Fact]
    public async Task Keypair_creations_waiting_their_turn_when_the_keypair_table_stops_answering_give_up_together_with_503()
    {
        Assert.SkipWhen(TestDatabase.PostgresServer is null, TestDatabase.PostgresSkipReason);
        var ct = TestContext.Current.CancellationToken;
        await using var service = await OnPostgres.StartAsync("queued");

        // The keypair table stops answering (another session's lock), and eight creations come at
        // once: on 2 cores one generates at a time (a second or less each) and the others wait
        // their turn.
        var answers = await service.WhileLockedAsync("keypairs", () => Task.WhenAll(Enumerable.Range(0, 8).Select(async _ =>
        {
            var watch = Stopwatch.StartNew();
            using var answer = await service.Client.PostAsync("/key-management/v1/keypair", null, ct);
            return (Status: answer.StatusCode, Took: watch.Elapsed);
        })));

        var took = string.Join(", ", answers.Select(a => $"{a.Took.TotalSeconds:F2} s"));
        answers.Should().OnlyContain(a => a.Status == HttpStatusCode.ServiceUnavailable, took);
        // The first store to give up (about 3.5 s in) stops every generation, waiting or under way:
        // all answer within API.md's 5 s. (Finished first and stored after, those under way
        // answered at up to 5.3 s, and at 5.9 s while such a store still got 2 s.)
        answers.Should().OnlyContain(a => a.Took < TimeSpan.FromSeconds(5), took);
        (answers.Max(a => a.Took) - answers.Min(a => a.Took)).Should().BeLessThan(TimeSpan.FromSeconds(1), "all give up together: " + took);
    }

    [Fact]
    public async Task An_entry_committed_after_its_request_was_answered_503_is_followed_by_one_recording_the_503()
    {
        Assert.SkipWhen(TestDatabase.PostgresServer is null, TestDatabase.PostgresSkipReason);
        var ct = TestContext.Current.CancellationToken;
        await using var service = await OnPostgres.StartAsync("withheld");
        var (client, admin) = (service.Client, service.Admin);
        var keypair = await (await client.PostAsync("/key-management/v1/keypair", null, ct)).JsonAsync();
        var path = "/key-management/v1/keypair/" + keypair.GetProperty("id").GetString();

        // The request log takes no rows for a while (a database that hangs on them), then takes them again.
        var answer = await service.WhileLockedAsync("request_log", () => client.GetAsync(path, ct));

        (await answer.ShouldBeProblemAsync(HttpStatusCode.ServiceUnavailable)).GetProperty("detail").GetString()
            .Should().Be("The request could not be recorded in the request log, so it was not answered. It changes nothing: retry it.", "a read changes nothing");
        JsonElement[] entries = [];
        for (var waited = Stopwatch.StartNew(); waited.Elapsed < TimeSpan.FromSeconds(10) && entries.Length < 2; await Task.Delay(100, ct))
        {
            entries = [.. (await admin.GetFromJsonAsync<JsonElement[]>("/key-management/v1/request-log?maxEntries=100", ct))!
                .Where(e => e.GetProperty("requestUri").GetString() == path)];
        }

        // Newest first: the late entry says 200, the one after it the 503 the client got, naming it.
        entries.Select(e => e.GetProperty("status").GetInt32()).Should().Equal([503, 200]);
        entries[0].GetProperty("detail").GetString().Should().Contain("not committed in time").And.Contain(entries[1].GetProperty("id").GetString());
        entries[0].GetProperty("credentialId").GetString().Should().Be("genesys-withheld");
    }

    private static async Task<int> ListedKeypairsAfterAsync(HttpClient client, int expected, CancellationToken ct)
    {
        var deadline = Stopwatch.StartNew();
        while (true)
        {
            var listed = await client.GetFromJsonAsync<JsonElement[]>("/key-management/v1/keypair", ct);
            if (listed!.Length >= expected || deadline.Elapsed > TimeSpan.FromSeconds(10))
            {
                return listed.Length;
            }

            await Task.Delay(100, ct);
        }
    }

    /// <summary>
    /// Migrates the database as its owner, then creates a login with data rights only and returns
    /// the service settings that use it: the role an outage can be inflicted on without the owner.
    /// </summary>
    private static async Task<(string Role, Dictionary<string, string?> Settings)> DataOnlyRoleAsync(TestDatabase database, string prefix)
    {
        var role = prefix + Guid.NewGuid().ToString("N")[..8];
        await using (var migrate = new LkmFactory(database.Directory, database.Settings))
        {
            await migrate.CreateCredentialAsync("genesys-setup");
        }

        await using var owner = new NpgsqlConnection(database.ConnectionString);
        await owner.OpenAsync(TestContext.Current.CancellationToken);
        await ExecuteAsync(owner, $"CREATE ROLE {role} LOGIN");
        await ExecuteAsync(owner, $"GRANT SELECT, INSERT, UPDATE, DELETE ON ALL TABLES IN SCHEMA public TO {role}");
        return (role, new Dictionary<string, string?>(database.Settings)
        {
            ["ConnectionStrings:KeyManager"] = new NpgsqlConnectionStringBuilder(database.ConnectionString) { Username = role }.ConnectionString,
            ["Database:MigrateOnStartup"] = "false",
        });
    }

    /// <summary>The service on a fresh PostgreSQL database, with a genesys client and an admin client.</summary>
    private sealed record OnPostgres(TestDatabase Database, LkmFactory Factory, HttpClient Client, HttpClient Admin) : IAsyncDisposable
    {
        public static async Task<OnPostgres> StartAsync(string name)
        {
            var database = await TestDatabase.CreateAsync("postgres");
            var factory = new LkmFactory(database.Directory, database.Settings);
            return new(
                database, factory,
                factory.CreateHawkClient(await factory.CreateCredentialAsync("genesys-" + name)),
                factory.CreateHawkClient(await factory.CreateCredentialAsync("admin-" + name, "admin")));
        }

        /// <summary>Runs <paramref name="during"/> while another session holds <paramref name="table"/> locked (a database that hangs on it), then lets it go.</summary>
        public async Task<T> WhileLockedAsync<T>(string table, Func<Task<T>> during)
        {
            await using var owner = new NpgsqlConnection(Database.ConnectionString);
            await owner.OpenAsync(TestContext.Current.CancellationToken);
            await using var holding = await owner.BeginTransactionAsync(TestContext.Current.CancellationToken);
            await ExecuteAsync(owner, $"LOCK TABLE {table} IN ACCESS EXCLUSIVE MODE");
            var result = await during();
            await holding.RollbackAsync(TestContext.Current.CancellationToken);
            return result;
        }

        public async ValueTask DisposeAsync()
        {
            Client.Dispose();
            Admin.Dispose();
            await Factory.DisposeAsync();
            await Database.DisposeAsync();
        }
    }

    private static async Task ExecuteAsync(NpgsqlConnection connection, string sql)
    {
        await using var command = new NpgsqlCommand(sql, connection);
        await command.ExecuteNonQueryAsync(TestContext.Current.CancellationToken);
    }

    [Fact]
    public async Task Entries_the_database_refused_while_it_was_unavailable_are_written_once_it_is_back()
    {
        var ct = TestContext.Current.CancellationToken;
        await using var database = await TestDatabase.CreateAsync("sqlite");
        await using var outage = await HeldDecryptEntries.StartAsync(database);
        await outage.ReleaseLockAsync();

        (await outage.Refused.ShouldBeProblemAsync(HttpStatusCode.ServiceUnavailable)).GetProperty("detail").GetString().Should().Contain("could not be recorded");
        JsonElement[] entries = [];
        for (var waited = Stopwatch.StartNew(); waited.Elapsed < TimeSpan.FromSeconds(10) && entries.Length < 2; await Task.Delay(100, ct))
        {
            entries = await outage.DecryptEntriesAsync(outage.Factory);
        }

        // Newest first: the decrypt's own entry (200), which the database did not take at first,
        // then the 503 the client got instead, naming it.
        entries.Select(e => e.GetProperty("status").GetInt32()).Should().Equal([503, 200]);
        entries[0].GetProperty("detail").GetString().Should().Contain(entries[1].GetProperty("id").GetString());
        outage.Factory.Logs.Lines.Should().Contain(l => l.Contains("The request-log entries held while the database was unavailable are written", StringComparison.Ordinal));
        (await outage.Client.PostAsJsonAsync("/key-management/v1/decrypt", outage.Body, ct)).StatusCode.Should().Be(HttpStatusCode.OK);
    }

    [Theory]
    [InlineData(true)]
    [InlineData(false)]
    public async Task A_shutdown_tries_the_held_entries_once_more_and_counts_what_the_database_still_refuses_as_lost(bool databaseBackBeforeStop)
    {
        var ct = TestContext.Current.CancellationToken;
        await using var database = await TestDatabase.CreateAsync("sqlite");
        await using var outage = await HeldDecryptEntries.StartAsync(database);

        // The service stops (SIGTERM) while it holds the entries; their retry is up to 1 s away.
        if (databaseBackBeforeStop)
        {
            await outage.ReleaseLockAsync();
        }

        await outage.Factory.DisposeAsync();
        await outage.ReleaseLockAsync();

        await using var restarted = new LkmFactory(database.Directory, outage.Settings);
        var entries = await outage.DecryptEntriesAsync(restarted);
        var lost = outage.Factory.Logs.Lines.Where(l => l.Contains("request-log entries the database did not take: they are lost", StringComparison.Ordinal));
        var written = outage.Factory.Logs.Lines.Where(l => l.Contains("held while the database was unavailable are written", StringComparison.Ordinal));
        if (databaseBackBeforeStop)
        {
            // The last try, made before the service's container is gone, wrote them.
            entries.Select(e => e.GetProperty("status").GetInt32()).Should().Equal([503, 200]);
            lost.Should().BeEmpty();
            written.Should().ContainSingle();
        }
        else
        {
            // Still locked: nothing written, and the log says so in an Error (never "written").
            entries.Should().BeEmpty();
            lost.Should().ContainSingle().Which.Should().StartWith("Error ").And.Contain("Shutting down with 2 request-log entries");
            written.Should().BeEmpty();
        }
    }

    /// <summary>
    /// A decrypt answered 503 because another process held the SQLite file's write lock (an open
    /// transaction in the sqlite3 shell) longer than the service waits for it: its commit (the
    /// replay record and the entry) failed after the request was answered, and the service now
    /// holds the entry, and the 503's own entry behind it, waiting for the lock.
    /// </summary>
    private sealed class HeldDecryptEntries : IAsyncDisposable
    {
        private Microsoft.Data.Sqlite.SqliteConnection? _lock;

        private HeldDecryptEntries(Dictionary<string, string?> settings, LkmFactory factory) => (Settings, Factory) = (settings, factory);

        public Dictionary<string, string?> Settings { get; }

        public LkmFactory Factory { get; }

        public HttpClient Client { get; private set; } = null!;

        public HawkCredentials Admin { get; private set; } = null!;

        public object Body { get; private set; } = null!;

        public HttpResponseMessage Refused { get; private set; } = null!;

        public static async Task<HeldDecryptEntries> StartAsync(TestDatabase database)
        {
            var ct = TestContext.Current.CancellationToken;
            // The service's own settings: a statement gives up on a locked file after SQLite's busy
            // timeout (5 s), not Microsoft.Data.Sqlite's 30 s command timeout.
            var settings = new Dictionary<string, string?>(database.Settings);
            var outage = new HeldDecryptEntries(settings, new LkmFactory(database.Directory, settings));
            outage.Client = outage.Factory.CreateHawkClient(await outage.Factory.CreateCredentialAsync("genesys-held"));
            outage.Admin = await outage.Factory.CreateCredentialAsync("admin-held", "admin");
            var keypair = await (await outage.Client.PostAsync("/key-management/v1/keypair", null, ct)).JsonAsync();
            using var rsa = System.Security.Cryptography.RSA.Create();
            rsa.ImportRSAPublicKey(Convert.FromBase64String(keypair.GetProperty("publicKey").GetString()!), out _);
            outage.Body = new
            {
                keypairId = keypair.GetProperty("id").GetString(),
                body = Convert.ToBase64String(rsa.Encrypt(new byte[32], System.Security.Cryptography.RSAEncryptionPadding.OaepSHA1)),
            };

            outage._lock = new Microsoft.Data.Sqlite.SqliteConnection(
                new Microsoft.Data.Sqlite.SqliteConnectionStringBuilder(database.ConnectionString) { Pooling = false }.ConnectionString);
            await outage._lock.OpenAsync(ct);
            await using (var begin = outage._lock.CreateCommand())
            {
                begin.CommandText = "BEGIN IMMEDIATE;";
                await begin.ExecuteNonQueryAsync(ct);
            }

            outage.Refused = await outage.Client.PostAsJsonAsync("/key-management/v1/decrypt", outage.Body, ct);
            // Past the writer's own wait for the lock (SQLite's busy timeout, 5 s): its commit failed.
            for (var waited = Stopwatch.StartNew(); waited.Elapsed < TimeSpan.FromSeconds(15) && !outage.Factory.Logs.Lines.Any(l => l.Contains("holding them", StringComparison.Ordinal)); await Task.Delay(100, ct))
            {
            }

            outage.Factory.Logs.Lines.Should().Contain(l => l.Contains("holding them", StringComparison.Ordinal), "the writer's commit failed while the file was locked");
            return outage;
        }

        public async Task ReleaseLockAsync()
        {
            if (_lock is not null)
            {
                await _lock.DisposeAsync();
                _lock = null;
            }
        }

        /// <summary>The decrypt entries in the log, newest first, as an admin of <paramref name="factory"/> reads them.</summary>
        public async Task<JsonElement[]> DecryptEntriesAsync(LkmFactory factory)
        {
            using var admin = factory.CreateHawkClient(Admin);
            return [.. (await admin.GetFromJsonAsync<JsonElement[]>("/key-management/v1/request-log?maxEntries=100", TestContext.Current.CancellationToken))!
                .Where(e => e.GetProperty("requestUri").GetString() == "/key-management/v1/decrypt")];
        }

        public async ValueTask DisposeAsync()
        {
            await ReleaseLockAsync();
            Client.Dispose();
            await Factory.DisposeAsync();
        }
    }

    [Fact]
    public async Task A_decrypt_whose_audit_record_cannot_be_written_fails_closed_with_503_and_no_plaintext()
    {
        Assert.SkipWhen(TestDatabase.PostgresServer is null, TestDatabase.PostgresSkipReason);
        var ct = TestContext.Current.CancellationToken;
        await using var database = await TestDatabase.CreateAsync("postgres");
        var (role, settings) = await DataOnlyRoleAsync(database, "lkm_audit_");
        await using var owner = new NpgsqlConnection(database.ConnectionString);
        await owner.OpenAsync(ct);
        await using var factory = new LkmFactory(database.Directory, settings);
        using var client = factory.CreateHawkClient(await factory.CreateCredentialAsync("genesys-audited"));
        var keypair = await (await client.PostAsync("/key-management/v1/keypair", null, ct)).JsonAsync();
        using var rsa = System.Security.Cryptography.RSA.Create();
        rsa.ImportRSAPublicKey(Convert.FromBase64String(keypair.GetProperty("publicKey").GetString()!), out _);
        var secret = System.Security.Cryptography.RandomNumberGenerator.GetBytes(32);
        var body = new { keypairId = keypair.GetProperty("id").GetString(), body = Convert.ToBase64String(rsa.Encrypt(secret, System.Security.Cryptography.RSAEncryptionPadding.OaepSHA1)) };

        // The request log refuses new rows; everything else still works.
        await ExecuteAsync(owner, $"REVOKE INSERT ON request_log FROM {role}");
        var refused = await client.PostAsJsonAsync("/key-management/v1/decrypt", body, ct);
        var text = await refused.Content.ReadAsStringAsync(ct);
        var creation = await client.PostAsync("/key-management/v1/keypair", null, ct);
        await ExecuteAsync(owner, $"GRANT INSERT ON request_log TO {role}");
        var answered = await client.PostAsJsonAsync("/key-management/v1/decrypt", body, ct);

        (await refused.ShouldBeProblemAsync(HttpStatusCode.ServiceUnavailable)).GetProperty("detail").GetString()
            .Should().Contain("could not be recorded").And.Contain("It changes nothing: retry it", "a decrypt changes nothing");
        (await creation.ShouldBeProblemAsync(HttpStatusCode.ServiceUnavailable)).GetProperty("detail").GetString()
            .Should().Contain("could not be recorded").And.Contain("check before you repeat it", "the keypair may be created although the answer was thrown away");
        text.Should().NotContain(Convert.ToBase64String(secret));
        answered.StatusCode.Should().Be(HttpStatusCode.OK);
        Convert.FromBase64String((await answered.JsonAsync()).GetProperty("body").GetString()!).Should().Equal(secret);
    }
}

/// <summary>
/// Tests that hold the service to a time API.md promises (a 503 within 5 s), measured from the
/// client: they run when no other test competes for the two cores. A neighbour generating RSA
/// keys or starting a process can take a second of wall-clock time the service never saw.
/// </summary>
[CollectionDefinition(Name, DisableParallelization = true)]
public sealed class TimedAlone
{
    public const string Name = "timed alone";
}
