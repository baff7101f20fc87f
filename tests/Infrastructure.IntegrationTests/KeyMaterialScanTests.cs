using System.Security.Cryptography;
using System.Text;
using LocalKeyManager.Application.Credentials.RegisterHawkCredential;
using LocalKeyManager.Application.Keys.GenerateKeypair;
using LocalKeyManager.Domain.Credentials;
using LocalKeyManager.Domain.Crypto;
using LocalKeyManager.Domain.Keys;
using Microsoft.Extensions.DependencyInjection;

namespace LocalKeyManager.Infrastructure.IntegrationTests;

/// <summary>A database dump (here: the SQLite files themselves) must reveal no key.</summary>
public sealed class KeyMaterialScanTests : IAsyncLifetime
{
    private TestServices _services = null!;

    public async ValueTask InitializeAsync() => _services = await TestServices.StartAsync();

    public async ValueTask DisposeAsync() => await _services.DisposeAsync();

    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    [Fact]
    public async Task The_database_file_holds_no_private_key_and_no_credential_key_in_any_form()
    {
        RegisteredCredential credential;
        await using (var scope = _services.Scope())
        {
            credential = await new RegisterHawkCredentialHandler(scope.ServiceProvider.GetRequiredService<ICredentialRepository>(), _services.Get<IKeyProtector>(), _services.Clock)
                .Handle(new RegisterHawkCredential("genesys-scan", null), Ct);
            await new GenerateKeypairHandler(_services.Get<IRsaEngine>(), scope.ServiceProvider.GetRequiredService<IKeypairRepository>(), _services.Clock)
                .Handle(new GenerateKeypair(), Ct);
        }

        await using var read = _services.Scope();
        var keypair = (await read.ServiceProvider.GetRequiredService<IKeypairRepository>().ListAsync(Ct)).Single();
        var protector = _services.Get<IKeyProtector>();
        var der = new byte[protector.MaxPlaintextLength(keypair.PrivateKey!)];
        der = der[..protector.Unwrap(keypair.PrivateKey!, Keypair.WrappingContext(keypair.Id), der)];
        using var rsa = RSA.Create();
        rsa.ImportRSAPrivateKey(der, out _);
        Microsoft.Data.Sqlite.SqliteConnection.ClearAllPools();

        var files = Directory.GetFiles(_services.Directory, "lkm.db*").Select(File.ReadAllBytes).ToArray();
        var forbidden = new[]
        {
            der[..64],
            Encoding.ASCII.GetBytes(Convert.ToBase64String(der)[..64]),
            Encoding.ASCII.GetBytes(rsa.ExportRSAPrivateKeyPem().Split('\n')[1]),
            Encoding.ASCII.GetBytes(rsa.ExportPkcs8PrivateKeyPem().Split('\n')[1]),
            rsa.ExportParameters(true).D![..32],
            Encoding.UTF8.GetBytes(credential.AuthKey),
        };
        foreach (var file in files)
        {
            foreach (var needle in forbidden)
            {
                file.AsSpan().IndexOf(needle).Should().Be(-1);
            }
        }

        files.Should().NotBeEmpty();
    }
}
