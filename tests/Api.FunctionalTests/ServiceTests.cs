namespace LocalKeyManager.Api.FunctionalTests;

/// <summary>
/// Base of the suites that run once per database (a sealed subclass each for SQLite and
/// PostgreSQL); skips, saying why, where the database is not available.
/// </summary>
public abstract class ServiceTests
{
    protected ServiceTests(ServiceFixture service)
    {
        Assert.SkipWhen(service.SkipReason is not null, service.SkipReason ?? string.Empty);
        this.service = service;
    }

#pragma warning disable IDE1006 // lower-case: the suites were written against a primary-constructor parameter of this name
    protected ServiceFixture service { get; }
#pragma warning restore IDE1006
}
