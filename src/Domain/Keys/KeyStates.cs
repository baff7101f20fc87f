namespace LocalKeyManager.Domain.Keys;

/// <summary>The wire names of the states: <c>enabled</c>, <c>disabled</c>, <c>pendingDestruction</c>, <c>destroyed</c>.</summary>
public static class KeyStates
{
    public static string ToWire(KeyState state) => state switch
    {
        KeyState.Enabled => "enabled",
        KeyState.Disabled => "disabled",
        KeyState.PendingDestruction => "pendingDestruction",
        KeyState.Destroyed => "destroyed",
        _ => throw new ArgumentOutOfRangeException(nameof(state)),
    };
}
