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

    [Fact]
    public void Trim_gives_memory_freed_in_the_middle_of_an_arena_back_to_the_system()
    {
        Assert.SkipUnless(OperatingSystem.IsLinux() && !System.Runtime.InteropServices.RuntimeInformation.RuntimeIdentifier.Contains("musl", StringComparison.Ordinal),
            "malloc_trim is glibc's (Linux).");
        const int Blocks = 16 * 1024; // 64 MiB of 4 KiB blocks: below the mmap threshold, so they live in an arena
        var blocks = new nint[Blocks];
        var ones = Enumerable.Repeat((byte)1, 4096).ToArray();
        for (var i = 0; i < Blocks; i++)
        {
            blocks[i] = System.Runtime.InteropServices.Marshal.AllocHGlobal(4096);
            System.Runtime.InteropServices.Marshal.Copy(ones, 0, blocks[i], ones.Length); // resident
        }

        // Free all but the last: the arena's top stays in use, so glibc cannot shrink it by itself.
        for (var i = 0; i < Blocks - 1; i++)
        {
            System.Runtime.InteropServices.Marshal.FreeHGlobal(blocks[i]);
        }

        var before = ResidentMiB();
        GlibcMalloc.Trim().Should().BeTrue();
        var after = ResidentMiB();
        System.Runtime.InteropServices.Marshal.FreeHGlobal(blocks[^1]);

        (before - after).Should().BeGreaterThan(32, $"64 MiB were freed but stayed resident until the trim (RSS {before:F1} -> {after:F1} MiB)");
    }

    private static double ResidentMiB() =>
        long.Parse(File.ReadAllText("/proc/self/statm").Split(' ')[1], System.Globalization.CultureInfo.InvariantCulture) * Environment.SystemPageSize / 1048576.0;
}
