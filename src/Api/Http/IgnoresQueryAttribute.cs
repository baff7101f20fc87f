namespace LocalKeyManager.Api.Http;

/// <summary>
/// An action that reads no query parameter and answers whatever the query holds: the probes, whose
/// callers (load balancers, monitors) may add cache-busting parameters of their own.
/// </summary>
[AttributeUsage(AttributeTargets.Class | AttributeTargets.Method, Inherited = false)]
public sealed class IgnoresQueryAttribute : Attribute
{
}
