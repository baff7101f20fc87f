namespace LocalKeyManager.Application.Errors;

public sealed class ConflictException(string detail) : ApplicationErrorException("Conflict", detail);
