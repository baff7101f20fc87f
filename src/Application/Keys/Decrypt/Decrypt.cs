using System.Diagnostics;
using LocalKeyManager.Application.Errors;
using LocalKeyManager.Application.Telemetry;
using LocalKeyManager.Domain.Crypto;
using LocalKeyManager.Domain.Keys;
using Mediator;

namespace LocalKeyManager.Application.Keys.Decrypt;

/// <summary>
/// Decrypts a recording key that Genesys Cloud encrypted to one of our public keys.
/// <paramref name="DecryptType"/> is the value that applies (the query's, else the body's):
/// absent or empty means RSA-OAEP-SHA1, <c>pkcs1</c> means PKCS#1 v1.5.
/// </summary>
public sealed record Decrypt(string? KeypairId, string? Body, string? DecryptType) : ICommand<DecryptResult>
{
    private bool PrintMembers(System.Text.StringBuilder builder)
    {
        builder.Append(System.Globalization.CultureInfo.InvariantCulture, $"KeypairId = {KeypairId}, Body = {Common.Redacted.Text(Body)}, DecryptType = {DecryptType}");
        return true;
    }
}

/// <param name="KeypairId">The keypair used, for the request log.</param>
/// <param name="Plaintext">The decrypted bytes (typically a 32-byte AES key).</param>
public sealed record DecryptResult(KeypairId KeypairId, byte[] Plaintext)
{
    private bool PrintMembers(System.Text.StringBuilder builder)
    {
        builder.Append(System.Globalization.CultureInfo.InvariantCulture, $"KeypairId = {KeypairId}, Plaintext = {Common.Redacted.Bytes(Plaintext)}");
        return true;
    }
}

public sealed class DecryptHandler(IKeypairRepository keypairs, IRsaEngine rsa, KeyManagerMetrics? metrics = null) : ICommandHandler<Decrypt, DecryptResult>
{
    public async ValueTask<DecryptResult> Handle(Decrypt command, CancellationToken cancellationToken)
    {
        var started = Stopwatch.GetTimestamp();

        // The validator has established that the id and the padding parse; the body is only there.
        KeypairId.TryParse(command.KeypairId, out var id);
        var padding = DecryptTypes.Parse(command.DecryptType);

        var keypair = await keypairs.FindRecentAsync(id, cancellationToken);
        if (keypair is null)
        {
            metrics?.Decrypted("unknown_keypair", padding, Stopwatch.GetElapsedTime(started));
            throw new ValidationFailedException("keypairId", "No keypair has this id.");
        }

        if (keypair.State != KeyState.Enabled)
        {
            rsa.Forget(keypair.Id);
            metrics?.Decrypted("refused_state", padding, Stopwatch.GetElapsedTime(started));
            throw new ForbiddenException($"Keypair {keypair.Id} is {KeyStates.ToWire(keypair.State)} and refuses decryption.");
        }

        // Not base64, or longer than any key's ciphertext: undecryptable, with the same answer as
        // every other cause (the text must not tell a client more about one cause than another).
        if (DecryptValidator.Ciphertext(command.Body) is not { } ciphertext)
        {
            metrics?.Decrypted("undecryptable", padding, Stopwatch.GetElapsedTime(started));
            throw new UndecryptableException();
        }

        var plaintext = await rsa.DecryptAsync(keypair, ciphertext, padding, cancellationToken);
        metrics?.Decrypted(plaintext is not null ? "ok" : "undecryptable", padding, Stopwatch.GetElapsedTime(started));
        return plaintext is not null ? new DecryptResult(keypair.Id, plaintext) : throw new UndecryptableException();
    }
}
