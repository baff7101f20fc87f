namespace LocalKeyManager.Application.Common;

/// <summary>
/// The names an enum's values have on the wire, read exactly as written (API.md spells them in
/// lowercase: <c>Admin</c> is refused, not read as <c>admin</c>); absent or empty reads as
/// <paramref name="absent"/>.
/// </summary>
public sealed class WireNames<T>(T absent, params (T Value, string Name)[] names)
    where T : struct, Enum
{
    public bool IsValid(string? value) => string.IsNullOrEmpty(value) || Find(value) is not null;

    public T Parse(string? value) => (string.IsNullOrEmpty(value) ? null : Find(value)) ?? absent;

    /// <summary>On every authenticated request (the role claim): a loop, no closure to allocate.</summary>
    public string ToWire(T value)
    {
        foreach (var (candidate, name) in names)
        {
            if (EqualityComparer<T>.Default.Equals(candidate, value))
            {
                return name;
            }
        }

        throw new ArgumentOutOfRangeException(nameof(value), value, "No wire name.");
    }

    private T? Find(string value)
    {
        foreach (var (candidate, name) in names)
        {
            if (string.Equals(name, value, StringComparison.Ordinal))
            {
                return candidate;
            }
        }

        return null;
    }
}
