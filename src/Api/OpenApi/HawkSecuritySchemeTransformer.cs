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
            Description = "Hawk (hapi @hapi/hawk, header authentication, protocol version 1), HMAC-SHA256 (or HMAC-SHA1 for a credential registered with algorithm sha1) keyed with the UTF-8 bytes of the credential's authKey.",
        };

        document.Components.Schemas ??= new Dictionary<string, IOpenApiSchema>();
        document.Components.Schemas["Problem"] = ProblemSchema();

        // Present only while a destruction is scheduled (written only when set).
        if (document.Components.Schemas.TryGetValue("KeypairResponse", out var keypair) && keypair is OpenApiSchema { Required: { } required })
        {
            required.Remove("destroyAt");
        }

        // The waiting period the service takes (ChangeKeypairStateValidator): 7..30 days.
        if (document.Components.Schemas.TryGetValue("ScheduleDestructionRequest", out var schedule) && schedule.Properties?.TryGetValue("waitingPeriodDays", out var days) == true && days is OpenApiSchema period)
        {
            period.Minimum = Domain.Keys.Keypair.MinWaitingDays.ToString(System.Globalization.CultureInfo.InvariantCulture);
            period.Maximum = Domain.Keys.Keypair.MaxWaitingDays.ToString(System.Globalization.CultureInfo.InvariantCulture);
        }

        foreach (var (path, item) in document.Paths)
        {
            if (path.EndsWith("/health/ready", StringComparison.Ordinal) && item.Operations is not null)
            {
                foreach (var operation in item.Operations.Values)
                {
                    operation.Responses ??= new OpenApiResponses();
                    AddProblem(document, operation, "503", "Not ready: the database or the key protector does not answer (the detail names which)");
                }
            }

            if (path.Contains("health", StringComparison.Ordinal) || item.Operations is null)
            {
                continue;
            }

            foreach (var (method, operation) in item.Operations)
            {
                operation.Security ??= [];
                operation.Security.Add(new OpenApiSecurityRequirement { [new OpenApiSecuritySchemeReference("Hawk", document)] = [] });
                operation.Responses ??= new OpenApiResponses();
                AddProblem(document, operation, "400", "Invalid request or malformed Hawk header");
                AddProblem(document, operation, "401", "Hawk authentication failed (WWW-Authenticate: Hawk ...)");
                AddProblem(document, operation, "403", "The credential's role does not allow this, or the keypair refuses it");
                if (path.Contains("{id}", StringComparison.Ordinal))
                {
                    AddProblem(document, operation, "404", "No keypair (or credential) has this id");
                }

                if (method == HttpMethod.Post && ConflictingPosts.Any(end => path.EndsWith(end, StringComparison.Ordinal)))
                {
                    AddProblem(document, operation, "409", "The id is taken, or the keypair's state does not allow this change");
                }

                if (operation.RequestBody is not null)
                {
                    AddProblem(document, operation, "413", "The body is larger than the service accepts");
                    AddProblem(document, operation, "415", "The body is not UTF-8 JSON");
                }

                AddProblem(document, operation, "429", "Over the configured request rate (Retry-After)");
                AddProblem(document, operation, "503", "The key store is temporarily unavailable, or the request could not be recorded in the request log");
            }
        }

        // The query's decryptType wins over the body's (API.md 1); the action reads it itself.
        if (document.Paths.TryGetValue("/key-management/v1/decrypt", out var decrypt) && decrypt.Operations?.TryGetValue(HttpMethod.Post, out var post) == true)
        {
            post.Parameters ??= [];
            post.Parameters.Add(new OpenApiParameter
            {
                Name = "decryptType",
                In = ParameterLocation.Query,
                Required = false,
                Description = "pkcs1 for RSA PKCS#1 v1.5; absent or empty means RSA-OAEP with SHA-1. When present, the body's decryptType is ignored.",
                Schema = new OpenApiSchema { Type = JsonSchemaType.String, Enum = [System.Text.Json.Nodes.JsonValue.Create("pkcs1")!, System.Text.Json.Nodes.JsonValue.Create(string.Empty)!] },
            });
        }

        return Task.CompletedTask;
    }

    /// <summary>The POSTs that can answer 409: an id that is taken, a keypair whose state refuses the change.</summary>
    private static readonly string[] ConflictingPosts = ["/auth", "/import", "/disable", "/enable", "/schedule-destruction", "/cancel-destruction"];

    private static void AddProblem(OpenApiDocument document, OpenApiOperation operation, string status, string description)
    {
        if (!operation.Responses!.ContainsKey(status))
        {
            operation.Responses[status] = new OpenApiResponse
            {
                Description = description,
                Content = new Dictionary<string, OpenApiMediaType> { ["application/problem+json"] = new() { Schema = new OpenApiSchemaReference("Problem", document) } },
            };
        }
    }

    /// <summary>RFC 9457 with the original's <c>message</c> (the same text as <c>detail</c>).</summary>
    private static OpenApiSchema ProblemSchema()
    {
        static OpenApiSchema Text(string description) => new() { Type = JsonSchemaType.String, Description = description };
        return new OpenApiSchema
        {
            Type = JsonSchemaType.Object,
            Required = new HashSet<string> { "status", "title", "detail", "message" },
            Properties = new Dictionary<string, IOpenApiSchema>
            {
                ["type"] = Text("A URI reference that identifies the problem type"),
                ["title"] = Text("A short summary of the problem type"),
                ["status"] = new OpenApiSchema { Type = JsonSchemaType.Integer, Format = "int32", Description = "The HTTP status code" },
                ["detail"] = Text("What went wrong with this request"),
                ["message"] = Text("The same text as detail, for clients of the original service"),
                ["traceId"] = Text("The request's trace id, to find it in the service log"),
            },
        };
    }
}
