namespace LocalKeyManager.Domain.Keys;

/// <summary>
/// Where a keypair is in its life. Only <see cref="Enabled"/> keys decrypt. Destruction is never
/// immediate: a key is scheduled (<see cref="PendingDestruction"/>), can be cancelled during the
/// waiting period, and only then loses its private material (<see cref="Destroyed"/>); its id and
/// public key stay so a decrypt can say "destroyed" rather than "unknown".
/// </summary>
public enum KeyState
{
    Enabled = 0,
    Disabled = 1,
    PendingDestruction = 2,
    Destroyed = 3,
}
