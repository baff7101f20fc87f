using Microsoft.AspNetCore.OpenApi;
using Microsoft.OpenApi;

namespace LocalKeyManager.Api.OpenApi;

/// <summary>
/// Describes the service in <c>/key-management/v1/openapi/v1.json</c>: its Hawk security scheme (required by every
/// operation except the probes) and the problem+json shape of its errors.
/// </summary>
internal sealed class HawkSecuritySchemeTransformer : IOpenApiDocumentTransformer
{
    public Task TransformAsync(OpenApiDocument document, OpenApiDocumentTransformerContext context, CancellationToken cancellationToken)
    {
        document.Info = new OpenApiInfo
        {
            Title = "Local Key Manager",
            Version = "v1",
            Description = "Keeps the RSA keys that protect Genesys Cloud recordings. Every operation except the health probes " +
                "requires Hawk authentication (Authorization: Hawk id, ts, nonce, mac[, hash, ext]); errors are " +
                "application/problem+json with status, title, detail and message.",
        };
        document.Components ??= new OpenApiComponents();
        document.Components.SecuritySchemes ??= new Dictionary<string, IOpenApiSecurityScheme>();
        document.Components.SecuritySchemes["Hawk"] = new OpenApiSecurityScheme
        {
            Type = SecuritySchemeType.Http,
            Scheme = "Hawk",
            Description = "Hawk (hapi @hapi/hawk, header authentication, protocol version 1), HMAC-SHA256 with the credential's authKey.",
        };

        foreach (var (path, item) in document.Paths)
        {
            if (path.Contains("health", StringComparison.Ordinal) || item.Operations is null)
            {
                continue;
            }

            foreach (var operation in item.Operations.Values)
            {
                operation.Security ??= [];
                operation.Security.Add(new OpenApiSecurityRequirement { [new OpenApiSecuritySchemeReference("Hawk", document)] = [] });
                operation.Responses ??= new OpenApiResponses();
                AddProblem(operation, "400", "Invalid request or malformed Hawk header");
                AddProblem(operation, "401", "Hawk authentication failed (WWW-Authenticate: Hawk ...)");
                AddProblem(operation, "403", "The credential's role does not allow this, or the keypair refuses it");
                AddProblem(operation, "503", "The key store is temporarily unavailable; retry");
            }
        }

        return Task.CompletedTask;
    }

    private static void AddProblem(OpenApiOperation operation, string status, string description)
    {
        if (!operation.Responses!.ContainsKey(status))
        {
            operation.Responses[status] = new OpenApiResponse
            {
                Description = description,
                Content = new Dictionary<string, OpenApiMediaType> { ["application/problem+json"] = new() },
            };
        }
    }
}
