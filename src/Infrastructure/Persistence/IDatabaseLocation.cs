namespace LocalKeyManager.Infrastructure.Persistence;

/// <summary>Where the embedded database keeps its files (the master key file goes beside it).</summary>
public interface IDatabaseLocation
{
    string DataDirectory { get; }
}
