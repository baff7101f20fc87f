using LocalKeyManager.Application.Errors;
using LocalKeyManager.Domain.Crypto;
using LocalKeyManager.Domain.Keys;
using Mediator;
using NodaTime;

namespace LocalKeyManager.Application.Keys.ImportKeypair;

/// <summary>
/// Brings an existing private key under management (e.g. from the original service, whose
/// <c>keypair.private_key</c> column held base64 DER PKCS#1), keeping its id and creation time so
/// that Genesys Cloud's registrations and old recordings keep working.
/// </summary>
public sealed record ImportKeypair(string? PrivateKey, string? Id, long? DateCreated) : ICommand<ImportedKeypair>
{
    private bool PrintMembers(System.Text.StringBuilder builder)
    {
        builder.Append(System.Globalization.CultureInfo.InvariantCulture, $"PrivateKey = {Common.Redacted.Text(PrivateKey)}, Id = {Id}, DateCreated = {DateCreated}");
        return true;
    }
}

/// <param name="Created">False when the same key was already stored under the id (idempotent re-import).</param>
public sealed record ImportedKeypair(KeypairDto Keypair, bool Created);

public sealed class ImportKeypairHandler(IRsaEngine rsa, IKeypairRepository keypairs, IClock clock) : ICommandHandler<ImportKeypair, ImportedKeypair>
{
    public const int MinimumBits = 2048;

    public async ValueTask<ImportedKeypair> Handle(ImportKeypair command, CancellationToken cancellationToken)
    {
        var id = command.Id is null ? KeypairId.New() : KeypairId.TryParse(command.Id, out var given) ? given : default;
        var imported = rsa.TryImport(id, command.PrivateKey!, MinimumBits, out var error)
            ?? throw new ValidationFailedException("privateKey", error);

        var createdAt = command.DateCreated is { } ms ? Instant.FromUnixTimeMilliseconds(ms) : clock.GetCurrentInstant();
        var keypair = Keypair.Create(id, imported.PublicKey, imported.PrivateKey, createdAt);
        if (await keypairs.TryAddAsync(keypair, cancellationToken))
        {
            return new ImportedKeypair(keypair.ToDto(), true);
        }

        // The id exists: the same key again is a harmless repeat (API.md: idempotent), answered
        // with the keypair as stored; a destroyed keypair stays destroyed, its key not taken back.
        // Another key is a conflict.
        var existing = await keypairs.FindAsync(id, cancellationToken);
        return existing is not null && existing.PublicKey.AsSpan().SequenceEqual(imported.PublicKey)
            ? new ImportedKeypair(existing.ToDto(), false)
            : throw new ConflictException($"Keypair {id} exists with a different key.");
    }
}
