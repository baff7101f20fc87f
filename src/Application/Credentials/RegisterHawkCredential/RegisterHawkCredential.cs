using System.Buffers.Text;
using System.Security.Cryptography;
using System.Text;
using LocalKeyManager.Application.Errors;
using LocalKeyManager.Domain.Credentials;
using LocalKeyManager.Domain.Crypto;
using Mediator;
using NodaTime;

namespace LocalKeyManager.Application.Credentials.RegisterHawkCredential;

/// <summary>
/// Creates a Hawk credential; <paramref name="Role"/> is <c>genesys</c> (default) or <c>admin</c>,
/// <paramref name="Algorithm"/> <c>sha256</c> (default) or <c>sha1</c>.
/// </summary>
public sealed record RegisterHawkCredential(string? Id, string? Role, string? Algorithm = null) : ICommand<RegisteredCredential>;

/// <summary>The one time the key is shown: it is stored only wrapped and never returned again.</summary>
public sealed record RegisteredCredential(string Id, string AuthKey, HawkAlgorithm Algorithm, CredentialRole Role)
{
    /// <summary>What the request log says of the registration (the API's and the command line's alike); never the key.</summary>
    public string Describe() => $"Registered credential '{Id}' with role {CredentialRoles.Names.ToWire(Role)} ({HawkAlgorithms.Names.ToWire(Algorithm)}).";

    private bool PrintMembers(System.Text.StringBuilder builder)
    {
        builder.Append(System.Globalization.CultureInfo.InvariantCulture, $"Id = {Id}, AuthKey = {Common.Redacted.Text(AuthKey)}, Algorithm = {Algorithm}, Role = {Role}");
        return true;
    }
}

public sealed class RegisterHawkCredentialHandler(ICredentialRepository credentials, IKeyProtector protector, IClock clock)
    : ICommandHandler<RegisterHawkCredential, RegisteredCredential>
{
    public async ValueTask<RegisteredCredential> Handle(RegisterHawkCredential command, CancellationToken cancellationToken)
    {
        var id = command.Id!;
        var role = CredentialRoles.Names.Parse(command.Role);

        // 256 random bits as base64url; Hawk's HMAC key is the UTF-8 bytes of this string.
        var authKey = Base64Url.EncodeToString(RandomNumberGenerator.GetBytes(32));
        var wrapped = protector.Wrap(Encoding.UTF8.GetBytes(authKey), HawkCredential.WrappingContext(id));
        var credential = HawkCredential.Create(id, role, HawkAlgorithms.Names.Parse(command.Algorithm), wrapped, clock.GetCurrentInstant());

        if (!await credentials.TryAddAsync(credential, cancellationToken))
        {
            throw new ConflictException($"A credential with id '{id}' already exists.");
        }

        return new RegisteredCredential(id, authKey, credential.Algorithm, role);
    }
}
