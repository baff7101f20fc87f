namespace LocalKeyManager.Application.Errors;

/// <summary>
/// The instance cannot take this work now and did none of it; the caller should retry shortly
/// (503 with <c>Retry-After</c>).
/// </summary>
public sealed class BusyException(string detail) : ApplicationErrorException("Service busy", detail);
