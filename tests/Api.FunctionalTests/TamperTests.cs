using System.Net;
using System.Net.Http.Json;
using System.Security.Cryptography;
using Microsoft.Data.Sqlite;

namespace LocalKeyManager.Api.FunctionalTests;

/// <summary>Someone with write access to the database alters a wrapped key: that key fails closed, nothing else does.</summary>
public sealed class TamperTests
{
    [Fact]
    public async Task A_tampered_wrapped_key_fails_closed_with_a_problem_and_the_service_keeps_serving_other_keys()
    {
        var ct = TestContext.Current.CancellationToken;
        await using var factory = new LkmFactory();
        using var client = factory.CreateHawkClient(await factory.CreateCredentialAsync("genesys-tamper"));
        var victim = await (await client.PostAsync("/key-management/v1/keypair", null, ct)).JsonAsync();
        var healthy = await (await client.PostAsync("/key-management/v1/keypair", null, ct)).JsonAsync();

        await using (var connection = new SqliteConnection($"Data Source={Path.Combine(factory.Directory, "lkm.db")};Pooling=false"))
        {
            await connection.OpenAsync(ct);
            await using var read = connection.CreateCommand();
            read.CommandText = "SELECT id, wrapped_private_key FROM keypairs";
            var rows = new List<(string Id, byte[] Blob)>();
            await using (var reader = await read.ExecuteReaderAsync(ct))
            {
                while (await reader.ReadAsync(ct))
                {
                    rows.Add((reader.GetString(0), (byte[])reader[1]));
                }
            }

            var (id, blob) = rows.Single(r => string.Equals(r.Id, victim.GetProperty("id").GetString(), StringComparison.OrdinalIgnoreCase));
            blob[blob.Length / 2] ^= 0x01;
            await using var write = connection.CreateCommand();
            write.CommandText = "UPDATE keypairs SET wrapped_private_key = $blob WHERE id = $id";
            write.Parameters.AddWithValue("$blob", blob);
            write.Parameters.AddWithValue("$id", id);
            (await write.ExecuteNonQueryAsync(ct)).Should().Be(1);
        }

        var tampered = await DecryptAsync(client, victim, ct);
        var fine = await DecryptAsync(client, healthy, ct);

        var problem = await tampered.ShouldBeProblemAsync(HttpStatusCode.ServiceUnavailable);
        problem.GetProperty("title").GetString().Should().Be("Key unavailable");
        problem.GetProperty("detail").GetString().Should().Contain("master key configuration does not match");
        fine.StatusCode.Should().Be(HttpStatusCode.OK);
        (await client.GetAsync("/key-management/v1/keypair", ct)).StatusCode.Should().Be(HttpStatusCode.OK);
        factory.Logs.Lines.Should().Contain(l => l.StartsWith("Critical", StringComparison.Ordinal) && l.Contains("failed to unwrap", StringComparison.Ordinal));
    }

    private static async Task<HttpResponseMessage> DecryptAsync(HttpClient client, System.Text.Json.JsonElement keypair, CancellationToken ct)
    {
        using var rsa = RSA.Create();
        rsa.ImportRSAPublicKey(Convert.FromBase64String(keypair.GetProperty("publicKey").GetString()!), out _);
        var body = new { keypairId = keypair.GetProperty("id").GetString(), body = Convert.ToBase64String(rsa.Encrypt(new byte[32], RSAEncryptionPadding.OaepSHA1)) };
        return await client.PostAsJsonAsync("/key-management/v1/decrypt", body, ct);
    }
}
