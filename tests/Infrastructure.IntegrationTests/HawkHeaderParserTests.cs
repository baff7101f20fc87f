using LocalKeyManager.Infrastructure.Hawk;

namespace LocalKeyManager.Infrastructure.IntegrationTests;

/// <summary>The reference parser's rules (@hapi/hawk utils.parseAuthorizationHeader), case by case.</summary>
public sealed class HawkHeaderParserTests
{
    [Fact]
    public void Parses_every_attribute_in_any_order()
    {
        var header = HawkHeaderParser.Parse(
            "Hawk mac=\"m/+=\", ext=\"some-app-ext-data\", ts=\"1353832234\",nonce=\"j4h3g2\" ,  id=\"dh37fgj492je\", hash=\"h\", app=\"a\", dlg=\"d\"",
            out var failure);

        failure.Should().BeNull();
        header.Should().Be(new HawkHeader("dh37fgj492je", "1353832234", "j4h3g2", "m/+=", "h", "some-app-ext-data", "a", "d"));
    }

    [Theory]
    [InlineData("hawk id=\"123456\", ts=\"1\", nonce=\"n\", mac=\"m\"")]
    [InlineData("HAWK id=\"123456\",ts=\"1\",nonce=\"n\",mac=\"m\"")]
    [InlineData("Hawk id=\"a value with spaces and !#$%&'()*+,-./:;<=>?@[]^`{|}~\", ts=\"1\", nonce=\"n\", mac=\"m\"")]
    public void Accepts_what_the_reference_accepts(string value)
    {
        HawkHeaderParser.Parse(value, out var failure).Should().NotBeNull();
        failure.Should().BeNull();
    }

    [Theory]
    [InlineData("Hawk", "Invalid header syntax")]
    [InlineData("Hawk ", "Invalid header syntax")]
    [InlineData("!Hawk id=\"1\"", "Invalid header syntax")]
    [InlineData("Hawk id=\"123456\", ts=\"1\", nonce=\"n\", mac=\"m\", x=\"1\"", "Unknown attribute: x")]
    [InlineData("Hawk id=\"123456\", id=\"654321\", ts=\"1\", nonce=\"n\", mac=\"m\"", "Duplicate attribute: id")]
    [InlineData("Hawk id=\"\", ts=\"1\", nonce=\"n\", mac=\"m\"", "Bad attribute value: id")]
    [InlineData("Hawk id=\"a\tb\", ts=\"1\", nonce=\"n\", mac=\"m\"", "Bad attribute value: id")]
    [InlineData("Hawk id=\"a\\\\b\", ts=\"1\", nonce=\"n\", mac=\"m\"", "Bad header format")]
    [InlineData("Hawk id=\"123456\", ts=\"1\", nonce=\"n\", mac=\"m\" trailing", "Bad header format")]
    [InlineData("Hawk id=123456, ts=\"1\", nonce=\"n\", mac=\"m\"", "Bad header format")]
    [InlineData("Hawk id=\"123456\", ts=\"1\", nonce=\"n\"", "Missing attributes")]
    [InlineData("Hawk ts=\"1\", nonce=\"n\", mac=\"m\"", "Missing attributes")]
    public void Malformed_headers_are_refused_with_the_reference_message(string value, string message)
    {
        HawkHeaderParser.Parse(value, out var failure).Should().BeNull();

        failure!.Kind.Should().Be(HawkFailureKind.Malformed);
        failure.Message.Should().Be(message);
    }

    [Fact]
    public void A_header_over_4096_characters_is_malformed()
    {
        var value = $"Hawk id=\"123456\", ts=\"1\", nonce=\"n\", mac=\"{new string('m', 4096)}\"";

        HawkHeaderParser.Parse(value, out var failure).Should().BeNull();

        failure!.Message.Should().Be("Header length too long");
    }

    [Theory]
    [InlineData(null)]
    [InlineData("")]
    [InlineData("Basic dXNlcjpwYXNz")]
    [InlineData("Bearer abc")]
    public void Absent_or_other_schemes_are_missing_not_malformed(string? value)
    {
        HawkHeaderParser.Parse(value, out var failure).Should().BeNull();

        failure!.Kind.Should().Be(HawkFailureKind.Missing);
        failure.WwwAuthenticate.Should().Be("Hawk");
    }
}
