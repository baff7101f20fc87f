using LocalKeyManager.Application.Telemetry;
using LocalKeyManager.Domain.Keys;
using LocalKeyManager.Infrastructure.Persistence;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;

namespace LocalKeyManager.Infrastructure.Jobs;

/// <summary>Counts keypairs by state every 30 s for the <c>lkm.keypairs</c> gauge (a scrape never queries the database).</summary>
public sealed class KeypairCountJob(IServiceScopeFactory scopes, KeyManagerMetrics metrics, ILogger<KeypairCountJob> logger)
    : PeriodicJob(scopes, TimeSpan.FromSeconds(30), logger)
{
    protected override bool RunAtStart => true;

    protected override async Task RunOnceAsync(IServiceProvider services, CancellationToken cancellationToken)
    {
        var db = services.GetRequiredService<KeyManagerDbContext>();
        var counts = await db.Keypairs.GroupBy(k => k.State).Select(g => new { g.Key, Count = g.LongCount() }).ToListAsync(cancellationToken);
        metrics.KeypairsCounted(Enum.GetValues<KeyState>().ToDictionary(
            KeyStates.ToWire,
            state => counts.FirstOrDefault(c => c.Key == (int)state)?.Count ?? 0));
    }
}
