using LocalKeyManager.Domain.Credentials;

namespace LocalKeyManager.Api.FunctionalTests;

public sealed record HawkCredentials(string Id, string Key, HawkAlgorithm Algorithm = HawkAlgorithm.Sha256);
