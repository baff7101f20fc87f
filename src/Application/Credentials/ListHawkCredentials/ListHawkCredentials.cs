using LocalKeyManager.Domain.Credentials;
using Mediator;

namespace LocalKeyManager.Application.Credentials.ListHawkCredentials;

public sealed record ListHawkCredentials : IQuery<IReadOnlyList<CredentialDto>>;

public sealed class ListHawkCredentialsHandler(ICredentialRepository credentials)
    : IQueryHandler<ListHawkCredentials, IReadOnlyList<CredentialDto>>
{
    public async ValueTask<IReadOnlyList<CredentialDto>> Handle(ListHawkCredentials query, CancellationToken cancellationToken)
    {
        var all = await credentials.ListAsync(cancellationToken);
        return all.Select(c => c.ToDto()).ToList();
    }
}
