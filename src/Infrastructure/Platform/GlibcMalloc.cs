using System.Runtime.InteropServices;

namespace LocalKeyManager.Infrastructure.Platform;

/// <summary>
/// Caps glibc's malloc arenas at one per processor, at least two (glibc's own cap is eight per processor).
/// Most of the service's memory is native (OpenSSL, SQLite, the runtime's code), not the managed
/// heap, and every arena that threads create keeps the memory freed into it. Applied at the start
/// of <c>Main</c>, before the host starts its threads; the runtime's own threads have made their
/// arenas by then, so the cap is partial (<c>MALLOC_ARENA_MAX=2</c> in the environment gave about
/// 5 MiB less), and <see cref="Trim"/> returns what all of them hold free. An operator's own
/// <c>MALLOC_ARENA_MAX</c> wins; on a C library without <c>mallopt</c> (musl) nothing changes.
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

    /// <summary>
    /// Gives the free pages of every arena back to the operating system (<c>malloc_trim(0)</c>).
    /// glibc returns only the free top of an arena by itself; what OpenSSL, the runtime and the
    /// database drivers free in the middle stays resident until this runs.
    /// </summary>
    /// <returns>False when there is nothing to call (not Linux, or a C library without it); true otherwise.</returns>
    public static bool Trim()
    {
        if (!OperatingSystem.IsLinux())
        {
            return false;
        }

        try
        {
            MallocTrim(0);
            return true;
        }
        catch (Exception e) when (e is DllNotFoundException or EntryPointNotFoundException)
        {
            return false;
        }
    }

    [DllImport("libc", EntryPoint = "malloc_trim", ExactSpelling = true)]
    [DefaultDllImportSearchPaths(DllImportSearchPath.SafeDirectories)]
    private static extern int MallocTrim(nuint pad);

    [DllImport("libc", EntryPoint = "mallopt", ExactSpelling = true)]
    [DefaultDllImportSearchPaths(DllImportSearchPath.SafeDirectories)]
    private static extern int Mallopt(int parameter, int value);
}
