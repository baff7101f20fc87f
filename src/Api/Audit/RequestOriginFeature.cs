using LocalKeyManager.Application.Audit;

namespace LocalKeyManager.Api.Audit;

/// <summary>Who is behind the current authenticated request, for handlers that write their own record.</summary>
public sealed record RequestOriginFeature(RequestOrigin Origin);
