using LocalKeyManager.Application.Errors;
using LocalKeyManager.Domain.Credentials;
using Mediator;
using NodaTime;

namespace LocalKeyManager.Application.Credentials.RevokeHawkCredential;

/// <summary>Revokes a credential for good; revoking a revoked one changes nothing.</summary>
public sealed record RevokeHawkCredential(string Id) : ICommand<CredentialDto>;

public sealed class RevokeHawkCredentialHandler(ICredentialRepository credentials, IClock clock)
    : ICommandHandler<RevokeHawkCredential, CredentialDto>
{
    public async ValueTask<CredentialDto> Handle(RevokeHawkCredential command, CancellationToken cancellationToken)
    {
        var credential = (CredentialId.IsValid(command.Id) ? await credentials.FindAsync(command.Id, cancellationToken) : null)
            ?? throw new NotFoundException("No credential has this id.");
        if (!credential.IsRevoked)
        {
            credential.Revoke(clock.GetCurrentInstant());
            await credentials.SaveRevocationAsync(credential, cancellationToken);
        }

        return credential.ToDto();
    }
}
