namespace LocalKeyManager.Application;

/// <summary>Marks this assembly for scanning (mediator handlers, validators).</summary>
public sealed class ApplicationAssembly;
