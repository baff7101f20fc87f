using FluentAssertions;
using LocalKeyManager.Infrastructure.Platform;

namespace LocalKeyManager.Infrastructure.IntegrationTests;

public sealed class GlibcMallocTests
{
    [Fact]
    public void On_linux_with_glibc_the_arenas_are_capped_at_one_per_processor()
    {
        Assert.SkipUnless(OperatingSystem.IsLinux() && !System.Runtime.InteropServices.RuntimeInformation.RuntimeIdentifier.Contains("musl", StringComparison.Ordinal) && Environment.GetEnvironmentVariable("MALLOC_ARENA_MAX") is null,
            "Needs Linux with glibc and no MALLOC_ARENA_MAX in the environment.");

        GlibcMalloc.LimitArenas().Should().Be(Math.Max(2, Environment.ProcessorCount), "mallopt(M_ARENA_MAX) answers 1 when glibc accepts the cap");
    }

    [Fact]
    public void An_operators_MALLOC_ARENA_MAX_wins()
    {
        Environment.SetEnvironmentVariable("MALLOC_ARENA_MAX", "4");
        try
        {
            GlibcMalloc.LimitArenas().Should().BeNull();
        }
        finally
        {
            Environment.SetEnvironmentVariable("MALLOC_ARENA_MAX", null);
        }
    }
}
