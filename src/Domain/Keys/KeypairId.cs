namespace LocalKeyManager.Domain.Keys;

/// <summary>The identity of a keypair: a random RFC 4122 UUID, written lowercase on the wire.</summary>
public readonly record struct KeypairId(Guid Value)
{
    public static KeypairId New() => new(Guid.NewGuid());

    /// <summary>Accepts only the canonical 36-character form (8-4-4-4-12 hex), any case.</summary>
    public static bool TryParse(string? text, out KeypairId id)
    {
        if (text is { Length: 36 } && Guid.TryParseExact(text, "D", out var guid))
        {
            id = new KeypairId(guid);
            return true;
        }

        id = default;
        return false;
    }

    /// <summary>
    /// RFC 4122's variant (the top bits of the clock-sequence byte 10x) and a version the RFCs define
    /// (1 to 8, RFC 9562). Ids this service makes are version 4; an imported one is checked.
    /// </summary>
    public bool IsRfc4122 => Value.Variant is >= 0x8 and <= 0xB && Value.Version is >= 1 and <= 8;

    public override string ToString() => Value.ToString("D");
}
