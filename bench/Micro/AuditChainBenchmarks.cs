using BenchmarkDotNet.Attributes;
using LocalKeyManager.Domain.Audit;
using LocalKeyManager.Infrastructure.Persistence.AuditChain;
using NodaTime;

namespace LocalKeyManager.Bench.Micro;

/// <summary>
/// What every request-log entry costs in the hash chain before it is written: its canonical form
/// and SHA-256 over the previous hash, alone and for a group commit of 16 entries.
/// </summary>
[Config(typeof(ShortInProcessConfig))]
[MemoryDiagnoser]
public class AuditChainBenchmarks
{
    private readonly byte[] _previous = new byte[32];
    private RequestLogEntry _entry = null!;
    private RequestLogEntry[] _batch = [];
    private ChainHeadRow _head = null!;

    [GlobalSetup]
    public void Setup()
    {
        _entry = new RequestLogEntry
        {
            Id = Guid.NewGuid(),
            Timestamp = SystemClock.Instance.GetCurrentInstant(),
            CredentialId = "genesys-prod",
            UserId = "7f2c9a4e-2b1d-4c8e-9a51-0d3b6e8f1c22",
            RequestMethod = "POST",
            RequestUri = "/key-management/v1/decrypt",
            Status = 200,
            KeypairId = "0b4f3c52-7a55-4c1c-9d4b-1f0f5c3e9a11",
            ClientAddress = "10.20.30.40",
            DurationMs = 2.375,
        };
        _batch = Enumerable.Range(0, 16).Select(_ => _entry with { Id = Guid.NewGuid() }).ToArray();
        _head = new ChainHeadRow { Seq = 1_000_000, Hash = new byte[32] };
    }

    [Benchmark(Baseline = true)]
    public byte[] HashOneEntry() => ChainHashing.Hash(_previous, 1_000_001, _entry);

    [Benchmark]
    public int LinkGroupOf16() => LinkedEntry.After(_head, _batch).Count;
}
