using System.Text;
using LocalKeyManager.Domain.Credentials;
using LocalKeyManager.Infrastructure.Hawk;

namespace LocalKeyManager.Infrastructure.IntegrationTests;

/// <summary>The published vectors of the Hawk protocol (the reference README and its tests).</summary>
public sealed class HawkVectorTests
{
    private static readonly byte[] Key = Encoding.UTF8.GetBytes("werxhqb98rpaxn39848xrunpaw3489ruxnpa98w4rxn");

    private static readonly HawkCrypto.Artifacts ReadmeGet =
        new("1353832234", "j4h3g2", "GET", "/resource/1?b=1&a=2", "example.com", "8000", null, null);

    [Fact]
    public void Readme_GET_normalized_string_and_mac()
    {
        HawkCrypto.NormalizedString(HawkCrypto.HeaderType, ReadmeGet, null, "some-app-ext-data")
            .Should().Be("hawk.1.header\n1353832234\nj4h3g2\nGET\n/resource/1?b=1&a=2\nexample.com\n8000\n\nsome-app-ext-data\n");
        HawkCrypto.Mac(HawkAlgorithm.Sha256, Key, HawkCrypto.HeaderType, ReadmeGet, null, "some-app-ext-data")
            .Should().Be("6R4rV5iE+NPoym+WwjeHzjAGXUtLNIxmo1vpMofpLAE=");
    }

    [Fact]
    public void Readme_POST_payload_hash_and_mac()
    {
        var hash = HawkCrypto.PayloadHash(HawkAlgorithm.Sha256, "Thank you for flying Hawk"u8, "text/plain");
        hash.Should().Be("Yi9LfIIFRtBEPt74PVmbTF/xVAwPn7ub15ePICfgnuY=");

        HawkCrypto.Mac(HawkAlgorithm.Sha256, Key, HawkCrypto.HeaderType, ReadmeGet with { Method = "POST" }, hash, "some-app-ext-data")
            .Should().Be("aSe1DERmZuRl3pI36/9BdZmnErTw3sNzOOAUlfeKjVw=");
    }

    [Fact]
    public void Payload_hash_ignores_content_type_parameters_and_case()
    {
        HawkCrypto.PayloadHash(HawkAlgorithm.Sha256, "Thank you for flying Hawk"u8, "Text/Plain; charset=utf-8")
            .Should().Be("Yi9LfIIFRtBEPt74PVmbTF/xVAwPn7ub15ePICfgnuY=");
    }

    [Fact]
    public void Sha1_and_sha256_header_vectors_from_the_reference_tests()
    {
        var sha1 = new HawkCrypto.Artifacts("1353788437", "k3j4h2", "GET", "/resource/4?filter=a", "example.com", "8080", null, null);
        HawkCrypto.Mac(HawkAlgorithm.Sha1, Key, HawkCrypto.HeaderType, sha1, null, "hello").Should().Be("zy79QQ5/EYFmQqutVnYb73gAc/U=");
        HawkCrypto.Mac(HawkAlgorithm.Sha256, Key, HawkCrypto.HeaderType, ReadmeGet, null, "some-app-data")
            .Should().Be("m8r1rHbXN6NgO+KIIhjO7sFRyd78RNGVUwehe8Cp2dU=");
    }

    [Fact]
    public void Server_authorization_vectors_from_the_reference_tests()
    {
        var artifacts = new HawkCrypto.Artifacts("1398546787", "xUwusx", "POST", "/resource/4?filter=a", "example.com", "8080", null, null);
        var hash = HawkCrypto.PayloadHash(HawkAlgorithm.Sha256, "some reply"u8, "text/plain");
        hash.Should().Be("f9cDF/TDm7TkYRLnGwRMfeDzT6LixQVLvrIKhh0vgmM=");
        HawkCrypto.Mac(HawkAlgorithm.Sha256, Key, HawkCrypto.ResponseType, artifacts, hash, "response-specific")
            .Should().Be("n14wVJK4cOxAytPUMc5bPezQzuJGl5n7MYXhFQgEKsE=");

        using var authentication = new HawkAuthentication("123456", CredentialRole.Genesys, HawkAlgorithm.Sha256, artifacts, (byte[])Key.Clone());
        authentication.ServerAuthorization("some reply"u8, "text/plain")
            .Should().Be("Hawk mac=\"6PrybJTJs20jsgBw5eilXpcytD8kUbaIKNYXL+6g0ns=\", hash=\"f9cDF/TDm7TkYRLnGwRMfeDzT6LixQVLvrIKhh0vgmM=\"");
        HawkCrypto.PayloadHash(HawkAlgorithm.Sha256, ""u8, "text/plain").Should().Be("q/t+NNAkQZNlq/aAD6PlexImwQTxwgT2MahfTa9XRLA=");
    }

    [Fact]
    public void Ext_escapes_backslash_and_newline_and_app_adds_two_lines()
    {
        HawkCrypto.NormalizedString(HawkCrypto.HeaderType, ReadmeGet with { App = "my-app", Dlg = null }, "h", "a\\b\nc")
            .Should().EndWith("\nh\na\\\\b\\nc\nmy-app\n\n");
    }

    [Fact]
    public void Absolute_form_resource_is_signed_as_its_path_and_query()
    {
        HawkCrypto.NormalizedString(HawkCrypto.HeaderType, ReadmeGet with { Resource = "http://example.com:8000/resource/1?b=1&a=2" }, null, null)
            .Should().Be(HawkCrypto.NormalizedString(HawkCrypto.HeaderType, ReadmeGet, null, null));
    }
}
