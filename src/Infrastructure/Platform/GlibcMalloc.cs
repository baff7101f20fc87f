using System.Runtime.InteropServices;

namespace LocalKeyManager.Infrastructure.Platform;

/// <summary>
/// Caps glibc's malloc arenas at one per processor, at least two (glibc's own cap is eight per processor).
/// Most of the service's memory is native (OpenSSL, SQLite, the runtime's code), not the managed
/// heap, and every arena that threads create keeps the memory freed into it. Applied at start-up,
/// before the host starts its threads. An operator's own <c>MALLOC_ARENA_MAX</c> wins; on a C
/// library without <c>mallopt</c> (musl) nothing changes.
/// </summary>
public static class GlibcMalloc
{
    private const int ArenaMaxParameter = -8; // M_ARENA_MAX in <malloc.h>

    /// <returns>The cap applied, or null when none was (not Linux, set by the environment, or no glibc).</returns>
    public static int? LimitArenas()
    {
        if (!OperatingSystem.IsLinux() || Environment.GetEnvironmentVariable("MALLOC_ARENA_MAX") is not null)
        {
            return null;
        }

        var arenas = Math.Max(2, Environment.ProcessorCount);
        try
        {
            return Mallopt(ArenaMaxParameter, arenas) == 1 ? arenas : null;
        }
        catch (Exception e) when (e is DllNotFoundException or EntryPointNotFoundException)
        {
            return null;
        }
    }

    [DllImport("libc", EntryPoint = "mallopt", ExactSpelling = true)]
    [DefaultDllImportSearchPaths(DllImportSearchPath.SafeDirectories)]
    private static extern int Mallopt(int parameter, int value);
}
