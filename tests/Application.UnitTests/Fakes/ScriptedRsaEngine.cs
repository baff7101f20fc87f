using LocalKeyManager.Domain.Crypto;
using LocalKeyManager.Domain.Keys;

namespace LocalKeyManager.Application.UnitTests.Fakes;

/// <summary>An RSA engine whose decrypt answers are set by the test; it records what it was asked.</summary>
internal sealed class ScriptedRsaEngine : IRsaEngine
{
    public byte[]? Plaintext { get; set; }

    public List<(KeypairId Id, byte[] Ciphertext, RsaPadding Padding)> Calls { get; } = [];

    public List<KeypairId> Generated { get; } = [];

    public Task<GeneratedKeypair> GenerateAsync(KeypairId id, CancellationToken cancellationToken)
    {
        Generated.Add(id);
        return Task.FromResult(new GeneratedKeypair([1, 2, 3], new WrappedKey("fake:v1", [9, 9])));
    }

    public List<KeypairId> Forgotten { get; } = [];

    /// <summary>What TryImport answers: a keypair, or null with <see cref="ImportError"/>.</summary>
    public GeneratedKeypair? Imported { get; set; }

    public string ImportError { get; set; } = "not a key";

    public GeneratedKeypair? TryImport(KeypairId id, string privateKey, int minimumBits, out string error)
    {
        error = Imported is null ? ImportError : string.Empty;
        return Imported;
    }

    public void Forget(KeypairId id) => Forgotten.Add(id);

    public Task<byte[]?> DecryptAsync(Keypair keypair, byte[] ciphertext, RsaPadding padding, CancellationToken cancellationToken)
    {
        Calls.Add((keypair.Id, ciphertext, padding));
        return Task.FromResult(Plaintext);
    }
}
