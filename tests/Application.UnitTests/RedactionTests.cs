using LocalKeyManager.Application.Credentials.RegisterHawkCredential;
using LocalKeyManager.Application.Keys.Decrypt;
using LocalKeyManager.Application.Keys.ImportKeypair;
using LocalKeyManager.Domain.Credentials;
using LocalKeyManager.Domain.Keys;

namespace LocalKeyManager.Application.UnitTests;

/// <summary>Records print every property by default; those that carry a secret print its length only.</summary>
public sealed class RedactionTests
{
    [Fact]
    public void Commands_and_results_that_carry_a_secret_print_without_it()
    {
        var keypair = KeypairId.New();
        var printed = new object[]
        {
            new Decrypt(keypair.ToString(), "CIPHERTEXT-b64", "pkcs1"),
            new DecryptResult(keypair, [0x53, 0x45, 0x43]),
            new ImportKeypair("-----BEGIN PRIVATE KEY-----MIIE", "id-1", 5),
            new RegisteredCredential("genesys-prod", "AUTHKEY-value", HawkAlgorithm.Sha256, CredentialRole.Genesys),
        }.Select(r => r.ToString()!).ToList();

        string.Join('\n', printed).Should().NotContain("CIPHERTEXT").And.NotContain("MIIE").And.NotContain("AUTHKEY");
        printed[0].Should().Contain(keypair.ToString()).And.Contain("[14 characters, not shown]").And.Contain("pkcs1");
        printed[1].Should().Contain("[3 bytes, not shown]");
        printed[2].Should().Contain("id-1");
        printed[3].Should().Contain("genesys-prod");
    }
}
