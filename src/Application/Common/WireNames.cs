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

    public string ToWire(T value) => names.First(n => EqualityComparer<T>.Default.Equals(n.Value, value)).Name;

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
