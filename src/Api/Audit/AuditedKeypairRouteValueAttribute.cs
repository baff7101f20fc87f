namespace LocalKeyManager.Api.Audit;

/// <summary>
/// The route value that names the keypair of every action of this controller, for its request-log
/// entry: read by <see cref="AuthenticatedResponseMiddleware"/> when the action did not say, so a
/// request refused before the action ran (a 403 for the role, a 400 for the body) still records
/// the keypair it named.
/// </summary>
[AttributeUsage(AttributeTargets.Class | AttributeTargets.Method, Inherited = false)]
public sealed class AuditedKeypairRouteValueAttribute(string name) : Attribute
{
    public string Name { get; } = name;
}
