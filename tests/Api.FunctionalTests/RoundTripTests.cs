using System.Diagnostics;
using System.Net;
using System.Net.Http.Json;
using System.Security.Cryptography;
using LocalKeyManager.TestSupport;

namespace LocalKeyManager.Api.FunctionalTests;

/// <summary>
/// How many database round trips a decrypt costs on PostgreSQL, counted from Npgsql's own
/// tracing in the test process.
/// </summary>
public sealed class RoundTripTests
{
    [Fact]
    public async Task A_decrypt_on_postgres_costs_one_round_trip_the_replay_record_and_the_log_in_one_statement()
    {
        Assert.SkipWhen(TestDatabase.PostgresServer is null, TestDatabase.PostgresSkipReason);
        var ct = TestContext.Current.CancellationToken;
        await using var database = await TestDatabase.CreateAsync("postgres");
        await using var factory = new LkmFactory(database.Directory, database.Settings);
        var genesys = await factory.CreateCredentialAsync("genesys-roundtrips");
        using var client = factory.CreateHawkClient(genesys);
        var created = await (await client.PostAsync("/key-management/v1/keypair", null, ct)).JsonAsync();
        var id = created.GetProperty("id").GetString()!;
        using var rsa = RSA.Create();
        rsa.ImportRSAPublicKey(Convert.FromBase64String(created.GetProperty("publicKey").GetString()!), out _);
        var body = new { keypairId = id, body = Convert.ToBase64String(rsa.Encrypt(new byte[32], RSAEncryptionPadding.OaepSHA1)) };
        (await client.PostAsJsonAsync("/key-management/v1/decrypt", body, ct)).StatusCode.Should().Be(HttpStatusCode.OK);

        const int Decrypts = 20;
        using var counter = new RoundTripCounter(new Npgsql.NpgsqlConnectionStringBuilder(database.ConnectionString).Database!);
        for (var i = 0; i < Decrypts; i++)
        {
            (await client.PostAsJsonAsync("/key-management/v1/decrypt", body, ct)).StatusCode.Should().Be(HttpStatusCode.OK);
        }

        var perDecrypt = (double)counter.RoundTrips / Decrypts;
        TestContext.Current.SendDiagnosticMessage($"PostgreSQL round trips per decrypt (sequential): {perDecrypt:F2}; periodic jobs' statements meanwhile, not counted: {counter.JobRoundTrips}");
        perDecrypt.Should().BeGreaterThanOrEqualTo(0.9, "each sequential decrypt's log entry is a write of its own to this database, so the counter must see at least that");
        perDecrypt.Should().BeLessThanOrEqualTo(1.5, "the replay record and the request-log entry go in one statement of one group commit; credential and keypair reads come from memory, refreshed every 0.5 s and 2 s");
    }

    /// <summary>
    /// Counts the commands Npgsql sends to <paramref name="database"/> (its ActivitySource traces
    /// each command or batch, one round trip each; explicit transactions would add a commit each,
    /// and the PostgreSQL path uses none). Other tests' databases, used in parallel in this
    /// process, are not counted.
    /// </summary>
    private sealed class RoundTripCounter : IDisposable
    {
        private readonly ActivityListener _listener;
        private int _roundTrips;
        private int _jobRoundTrips;

        public RoundTripCounter(string database)
        {
            _listener = new ActivityListener
            {
                ShouldListenTo = source => source.Name == "Npgsql",
                Sample = (ref ActivityCreationOptions<ActivityContext> _) => ActivitySamplingResult.AllData,
                ActivityStopped = activity =>
                {
                    if (Equals(activity.GetTagItem("db.namespace") ?? activity.GetTagItem("db.name"), database))
                    {
                        Interlocked.Increment(ref IsPeriodicJob(activity.GetTagItem("db.query.text") as string) ? ref _jobRoundTrips : ref _roundTrips);
                    }
                },
            };
            ActivitySource.AddActivityListener(_listener);
        }

        public int RoundTrips => Volatile.Read(ref _roundTrips);

        /// <summary>Statements of the jobs that run on a timer whatever the requests (replay-record clean-up every 5 s, the keypair count every 30 s), counted apart.</summary>
        public int JobRoundTrips => Volatile.Read(ref _jobRoundTrips);

        private static bool IsPeriodicJob(string? text) =>
            text is not null && (text.TrimStart().StartsWith("DELETE", StringComparison.OrdinalIgnoreCase)
                || (text.Contains("hawk_nonces", StringComparison.Ordinal) && !text.Contains("INSERT", StringComparison.OrdinalIgnoreCase))
                || text.Contains("GROUP BY", StringComparison.OrdinalIgnoreCase));

        public void Dispose() => _listener.Dispose();
    }
}
