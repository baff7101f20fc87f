namespace LocalKeyManager.Application.Errors;

public sealed class NotFoundException(string detail) : ApplicationErrorException("Not found", detail);
