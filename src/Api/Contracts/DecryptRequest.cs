using System.Text.Json;
using System.Text.Json.Serialization;

namespace LocalKeyManager.Api.Contracts;

/// <summary>The original's <c>EncryptBody</c>: the keypair, the base64 ciphertext, and optionally the padding.</summary>
public sealed record DecryptRequest(
    string? KeypairId,
    string? Body,
    [property: JsonConverter(typeof(AnyValueAsStringConverter))] string? DecryptType = null)
{
    /// <summary>Printed without the ciphertext: MVC logs action arguments at Trace.</summary>
    private bool PrintMembers(System.Text.StringBuilder builder)
    {
        builder.Append(System.Globalization.CultureInfo.InvariantCulture, $"KeypairId = {KeypairId}, Body = {Application.Common.Redacted.Text(Body)}, DecryptType = {DecryptType}");
        return true;
    }
}

/// <summary>
/// Reads a JSON string as itself and any other value (a number, an object...) as its JSON text.
/// API.md: "when the query has <c>decryptType</c>, the body's value is ignored", so a body whose
/// <c>decryptType</c> is not a string must still be read; without the query's, the validator then
/// refuses the value like any other unsupported one.
/// </summary>
public sealed class AnyValueAsStringConverter : JsonConverter<string?>
{
    public override string? Read(ref Utf8JsonReader reader, Type typeToConvert, JsonSerializerOptions options)
    {
        if (reader.TokenType == JsonTokenType.String)
        {
            return reader.GetString();
        }

        using var value = JsonDocument.ParseValue(ref reader);
        return value.RootElement.GetRawText();
    }

    public override void Write(Utf8JsonWriter writer, string? value, JsonSerializerOptions options) => writer.WriteStringValue(value);
}
