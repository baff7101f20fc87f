namespace LocalKeyManager.Application.Errors;

public sealed class ForbiddenException(string detail) : ApplicationErrorException("Forbidden", detail);
