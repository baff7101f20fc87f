using LocalKeyManager.Application.Common;
using LocalKeyManager.Domain.Credentials;

namespace LocalKeyManager.Application.Credentials;

/// <summary>The wire names of Hawk's algorithms: <c>sha256</c> (the default) and <c>sha1</c> (API.md §2).</summary>
public static class HawkAlgorithms
{
    public static readonly WireNames<HawkAlgorithm> Names = new(HawkAlgorithm.Sha256, (HawkAlgorithm.Sha256, "sha256"), (HawkAlgorithm.Sha1, "sha1"));
}
