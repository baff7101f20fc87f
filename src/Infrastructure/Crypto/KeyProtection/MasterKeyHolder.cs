namespace LocalKeyManager.Infrastructure.Crypto.KeyProtection;

/// <summary>
/// The loaded master key ring. Start-up loads it once (see <see cref="MasterKeyInitializer"/>)
/// before anything wraps or unwraps; using it earlier is a programming error.
/// </summary>
public sealed class MasterKeyHolder
{
    private MasterKeyRing? _ring;

    public MasterKeyRing Ring => _ring ?? throw new InvalidOperationException("The master key has not been loaded; start-up did not run.");

    public bool IsLoaded => _ring is not null;

    public void Load(MasterKeyRing ring) => _ring = ring;
}
