namespace LocalKeyManager.Api.FunctionalTests;

public sealed record HawkCredentials(string Id, string Key);
