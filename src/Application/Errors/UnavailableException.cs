namespace LocalKeyManager.Application.Errors;

/// <summary>
/// The work was not done because what it needs failed meanwhile (the database); the caller may
/// retry shortly (503 with <c>Retry-After</c>). Not itself a sign of an outage: it follows one.
/// </summary>
public sealed class UnavailableException(string detail) : ApplicationErrorException("Service unavailable", detail);
