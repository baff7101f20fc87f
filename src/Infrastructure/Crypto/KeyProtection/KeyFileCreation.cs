namespace LocalKeyManager.Infrastructure.Crypto.KeyProtection;

/// <summary>
/// Whether this process may create the embedded default's master key file. The service and the
/// commands that set an installation up may; a command that only reads or changes an existing one
/// (<c>credentials list</c> after <c>migrate</c> made only the database) may not, so that it never
/// completes an installation by the way. Not registered: allowed.
/// </summary>
public sealed record KeyFileCreation(bool Allowed);
