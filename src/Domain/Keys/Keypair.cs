using LocalKeyManager.Domain.Crypto;
using NodaTime;

namespace LocalKeyManager.Domain.Keys;

/// <summary>
/// An RSA keypair that Genesys Cloud encrypts recording keys to. The private half exists here
/// only wrapped under a master key; the public half is the DER <c>RSAPublicKey</c> (PKCS#1).
/// Keypairs are never deleted: losing one loses every recording encrypted under it. The state
/// machine (see <see cref="KeyState"/>) lives here and nowhere else.
/// </summary>
public sealed class Keypair
{
    /// <summary>The waiting period before a scheduled destruction, as the cloud KMSs have it.</summary>
    public const int MinWaitingDays = 7;
    public const int MaxWaitingDays = 30;
    public const int DefaultWaitingDays = 30;

    private Keypair(KeypairId id, byte[] publicKey, WrappedKey? privateKey, Instant createdAt, KeyState state, Instant? destroyAt)
    {
        Id = id;
        PublicKey = publicKey;
        PrivateKey = privateKey;
        CreatedAt = createdAt;
        State = state;
        DestroyAt = destroyAt;
    }

    public KeypairId Id { get; }

    /// <summary>DER-encoded PKCS#1 <c>RSAPublicKey</c>.</summary>
    public byte[] PublicKey { get; }

    /// <summary>
    /// The DER PKCS#1 <c>RSAPrivateKey</c>, wrapped and bound to <see cref="Id"/> as associated
    /// data; null once destroyed.
    /// </summary>
    public WrappedKey? PrivateKey { get; private set; }

    public Instant CreatedAt { get; }

    public KeyState State { get; private set; }

    /// <summary>When a scheduled destruction happens; set only while <see cref="KeyState.PendingDestruction"/>.</summary>
    public Instant? DestroyAt { get; private set; }

    public static Keypair Create(KeypairId id, byte[] publicKey, WrappedKey privateKey, Instant createdAt)
    {
        ArgumentNullException.ThrowIfNull(publicKey);
        ArgumentNullException.ThrowIfNull(privateKey);
        if (publicKey.Length == 0)
        {
            throw new ArgumentException("A keypair needs a public key.", nameof(publicKey));
        }

        return new Keypair(id, publicKey, privateKey, createdAt, KeyState.Enabled, null);
    }

    /// <summary>Rebuilds a stored keypair (persistence only).</summary>
    public static Keypair Restore(KeypairId id, byte[] publicKey, WrappedKey? privateKey, Instant createdAt, KeyState state, Instant? destroyAt = null) =>
        new(id, publicKey, privateKey, createdAt, state, destroyAt);

    /// <summary>Associated data that binds a wrapped private key to this keypair's row.</summary>
    public static string WrappingContext(KeypairId id) => $"lkm/keypair/{id}";

    /// <summary>Emergency revocation: stops decrypts until enabled again. Idempotent: false when already disabled.</summary>
    public bool Disable()
    {
        Require(State is KeyState.Enabled or KeyState.Disabled, "disable");
        return Become(KeyState.Disabled);
    }

    /// <summary>Lets a disabled key decrypt again. Idempotent: false when already enabled.</summary>
    public bool Enable()
    {
        Require(State is KeyState.Enabled or KeyState.Disabled, "enable");
        return Become(KeyState.Enabled);
    }

    /// <summary>Schedules destruction after a waiting period of <paramref name="waitingDays"/> (7..30).</summary>
    public void ScheduleDestruction(Instant now, int waitingDays)
    {
        if (waitingDays is < MinWaitingDays or > MaxWaitingDays)
        {
            throw new ArgumentOutOfRangeException(nameof(waitingDays), $"The waiting period is {MinWaitingDays} to {MaxWaitingDays} days.");
        }

        if (State is KeyState.PendingDestruction)
        {
            // Never moved by a second schedule, which may mean a later date than the one that stands.
            throw new KeyStateException($"Keypair {Id} is already pendingDestruction, due at {DestroyAt}; cancel the destruction first to schedule another.");
        }

        Require(State is KeyState.Enabled or KeyState.Disabled, "schedule the destruction of");
        State = KeyState.PendingDestruction;
        DestroyAt = now + Duration.FromDays(waitingDays);
    }

    /// <summary>
    /// Cancels a scheduled destruction; the key comes back disabled, to be enabled on purpose.
    /// Idempotent: false, changing nothing, for a key not pending destruction (enabled or disabled).
    /// </summary>
    public bool CancelDestruction()
    {
        Require(State is not KeyState.Destroyed, "cancel the destruction of");
        if (State is not KeyState.PendingDestruction)
        {
            return false;
        }

        State = KeyState.Disabled;
        DestroyAt = null;
        return true;
    }

    /// <summary>Erases the private material once the waiting period is over; returns whether it did.</summary>
    public bool DestroyIfDue(Instant now)
    {
        if (State != KeyState.PendingDestruction || DestroyAt > now)
        {
            return false;
        }

        State = KeyState.Destroyed;
        PrivateKey = null;
        DestroyAt = null;
        return true;
    }

    private bool Become(KeyState state)
    {
        var changed = State != state;
        State = state;
        return changed;
    }

    private void Require(bool allowed, string action)
    {
        if (!allowed)
        {
            throw new KeyStateException($"Cannot {action} keypair {Id}: it is {KeyStates.ToWire(State)}.");
        }
    }
}
