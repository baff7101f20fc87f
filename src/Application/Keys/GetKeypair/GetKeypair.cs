using LocalKeyManager.Application.Errors;
using LocalKeyManager.Domain.Keys;
using Mediator;

namespace LocalKeyManager.Application.Keys.GetKeypair;

public sealed record GetKeypair(string Id) : IQuery<KeypairDto>;

public sealed class GetKeypairHandler(IKeypairRepository keypairs) : IQueryHandler<GetKeypair, KeypairDto>
{
    public async ValueTask<KeypairDto> Handle(GetKeypair query, CancellationToken cancellationToken)
    {
        // An id that is not a UUID cannot name a keypair: it is as unknown as a well-formed one.
        var keypair = KeypairId.TryParse(query.Id, out var id) ? await keypairs.FindAsync(id, cancellationToken) : null;
        return keypair?.ToDto() ?? throw new NotFoundException("No keypair has this id.");
    }
}
