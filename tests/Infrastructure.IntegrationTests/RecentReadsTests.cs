using System.Diagnostics;
using LocalKeyManager.Infrastructure.Persistence;
using Microsoft.Extensions.DependencyInjection;

namespace LocalKeyManager.Infrastructure.IntegrationTests;

/// <summary>
/// The read-through memory of credentials and keypairs when the database hangs: a caller's wait is
/// bounded, one read runs per id, and a change made meanwhile is not covered by an older read.
/// </summary>
public sealed class RecentReadsTests : IAsyncLifetime
{
    /// <summary>What a read blocks on until the test lets the database "answer".</summary>
    private readonly ManualResetEventSlim _release = new();

    private TestServices _services = null!;

    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    public async ValueTask InitializeAsync() => _services = await TestServices.StartAsync();

    public async ValueTask DisposeAsync()
    {
        _release.Set();
        await _services.DisposeAsync();
        _release.Dispose();
    }

    private RecentReads<string, string> NewReads() => new(_services.Get<IServiceScopeFactory>(), TimeSpan.FromMinutes(1));

    [Fact]
    public async Task A_read_that_hangs_is_run_once_and_every_caller_gives_up_after_MaxWait()
    {
        var reads = NewReads();
        var calls = 0;
        string? Hanging(KeyManagerDbContext db, string key)
        {
            Interlocked.Increment(ref calls);
            _release.Wait(TimeSpan.FromSeconds(30));
            return $"row {key}";
        }

        var stopwatch = Stopwatch.StartNew();
        var callers = Enumerable.Range(0, 3).Select(_ => reads.GetAsync("a", Hanging, Ct)).ToList();
        foreach (var caller in callers)
        {
            await caller.Invoking(c => c).Should().ThrowAsync<TimeoutException>();
        }

        // Bounded by MaxWait (2 s), not by the read: the read is still blocked.
        stopwatch.Elapsed.Should().BeLessThan(RecentReads<string, string>.MaxWait * 2);
        calls.Should().Be(1);

        // When the database answers at last, the row is remembered: no second read.
        _release.Set();
        (await reads.GetAsync("a", Hanging, Ct)).Should().Be("row a");
        (await reads.GetAsync("a", Hanging, Ct)).Should().Be("row a");
        calls.Should().Be(1);
    }

    [Fact]
    public async Task An_absence_is_not_remembered_so_a_row_created_elsewhere_is_found_by_the_next_request()
    {
        var reads = new RecentReads<string, string>(_services.Get<IServiceScopeFactory>(), TimeSpan.FromMinutes(1));
        string? row = null;
        var calls = 0;
        string? Read(KeyManagerDbContext db, string key)
        {
            Interlocked.Increment(ref calls);
            return Volatile.Read(ref row);
        }

        (await reads.GetAsync("new-credential", Read, Ct)).Should().BeNull("the id does not exist yet");
        Volatile.Write(ref row, "created through another instance");

        (await reads.GetAsync("new-credential", Read, Ct)).Should().Be("created through another instance", "API.md 7: usable through every instance at once");
        (await reads.GetAsync("new-credential", Read, Ct)).Should().Be("created through another instance");
        calls.Should().Be(2, "the row found is remembered");
    }

    [Fact]
    public async Task A_row_forgotten_while_it_is_being_read_is_read_again_next_time()
    {
        var reads = NewReads();
        var version = 0;
        string? Read(KeyManagerDbContext db, string key)
        {
            var seen = Interlocked.Increment(ref version);
            _release.Wait(TimeSpan.FromSeconds(30));
            return $"version {seen}";
        }

        var before = reads.GetAsync("a", Read, Ct);
        SpinWait.SpinUntil(() => Volatile.Read(ref version) == 1, TimeSpan.FromSeconds(10)).Should().BeTrue();

        // The row changes here (e.g. revoked) while the read above may have seen it as it was.
        reads.Forget("a");
        _release.Set();
        (await before).Should().Be("version 1");

        (await reads.GetAsync("a", Read, Ct)).Should().Be("version 2");
        (await reads.GetAsync("a", Read, Ct)).Should().Be("version 2");
    }

    [Fact]
    public async Task A_row_in_its_last_quarter_is_given_out_at_once_while_it_is_read_again_but_never_after_its_lifetime()
    {
        var reads = new RecentReads<string, string>(_services.Get<IServiceScopeFactory>(), TimeSpan.FromSeconds(4));
        var calls = 0;
        string? Read(KeyManagerDbContext db, string key)
        {
            var call = Interlocked.Increment(ref calls);
            if (call == 2)
            {
                _release.Wait(TimeSpan.FromSeconds(30));
            }

            return $"version {call}";
        }

        var clock = Stopwatch.StartNew();
        (await reads.GetAsync("a", Read, Ct)).Should().Be("version 1");

        // Early in its lifetime the row is given out and nothing is read.
        await Task.Delay(TimeSpan.FromSeconds(1) - clock.Elapsed, Ct);
        (await reads.GetAsync("a", Read, Ct)).Should().Be("version 1");
        calls.Should().Be(1);

        // In its last quarter (3-4 s) the caller gets it at once, and the next read starts.
        await Task.Delay(TimeSpan.FromSeconds(3.3) - clock.Elapsed, Ct);
        var early = reads.GetAsync("a", Read, Ct);
        early.IsCompletedSuccessfully.Should().BeTrue("nobody waits for the read ahead");
        (await early).Should().Be("version 1");
        SpinWait.SpinUntil(() => Volatile.Read(ref calls) == 2, TimeSpan.FromSeconds(10)).Should().BeTrue();
        (await reads.GetAsync("a", Read, Ct)).Should().Be("version 1");
        calls.Should().Be(2, "one read ahead at a time");

        // The read ahead hangs. Past the lifetime the old row is not given out: the caller waits.
        await Task.Delay(TimeSpan.FromSeconds(4.3) - clock.Elapsed, Ct);
        var late = reads.GetAsync("a", Read, Ct);
        await Task.Delay(100, Ct);
        late.IsCompleted.Should().BeFalse();
        _release.Set();
        (await late).Should().Be("version 2");
        calls.Should().Be(2);
    }

    [Fact]
    public async Task A_failed_read_is_not_remembered_and_the_next_caller_reads_again()
    {
        var reads = NewReads();
        var calls = 0;
        string? FailsOnce(KeyManagerDbContext db, string key) =>
            Interlocked.Increment(ref calls) == 1 ? throw new InvalidOperationException("database unavailable") : $"row {key}";

        await reads.Invoking(r => r.GetAsync("a", FailsOnce, Ct)).Should().ThrowAsync<InvalidOperationException>();
        (await reads.GetAsync("a", FailsOnce, Ct)).Should().Be("row a");
        calls.Should().Be(2);
    }
}
