using LocalKeyManager.Domain.Keys;
using Mediator;

namespace LocalKeyManager.Application.Keys.ListKeypairs;

/// <summary>Every keypair, newest first.</summary>
public sealed record ListKeypairs : IQuery<IReadOnlyList<KeypairDto>>;

public sealed class ListKeypairsHandler(IKeypairRepository keypairs) : IQueryHandler<ListKeypairs, IReadOnlyList<KeypairDto>>
{
    public async ValueTask<IReadOnlyList<KeypairDto>> Handle(ListKeypairs query, CancellationToken cancellationToken)
    {
        var all = await keypairs.ListPublicAsync(cancellationToken);
        return all.Select(k => k.ToDto()).ToList();
    }
}
