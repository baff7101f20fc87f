namespace LocalKeyManager.Infrastructure.Platform;

/// <summary>Whether a file holding secrets may be read or written by users other than its owner.</summary>
internal static class FileModes
{
    private const UnixFileMode Others = UnixFileMode.GroupRead | UnixFileMode.GroupWrite | UnixFileMode.OtherRead | UnixFileMode.OtherWrite;

    /// <summary>The file's mode in octal when its group or others may read or write it; null when not, on Windows, or when it is missing.</summary>
    public static string? OpenToOthers(string path)
    {
        if (OperatingSystem.IsWindows() || !File.Exists(path))
        {
            return null;
        }

        var mode = File.GetUnixFileMode(path);
        return (mode & Others) != 0 ? Convert.ToString((int)mode, 8) : null;
    }
}
