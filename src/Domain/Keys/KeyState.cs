namespace LocalKeyManager.Domain.Keys;

/// <summary>Where a keypair is in its life. Only <see cref="Enabled"/> keys decrypt.</summary>
public enum KeyState
{
    Enabled = 0,
    Disabled = 1,
}
