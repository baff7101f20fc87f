using LocalKeyManager.Api.Contracts.Mapping;
using LocalKeyManager.Application.Credentials.ListHawkCredentials;
using LocalKeyManager.Application.Credentials.RegisterHawkCredential;
using LocalKeyManager.Application.Credentials.RevokeHawkCredential;
using Mediator;
using Microsoft.EntityFrameworkCore;

namespace LocalKeyManager.Api.Cli;

/// <summary>
/// <c>credentials create --id ID [--role admin|genesys] [--algorithm sha256|sha1]</c> prints exactly what <c>POST /auth</c>
/// answers (so a container can bootstrap its first admin); <c>list</c> and <c>revoke</c> print
/// what <c>GET /auth</c> and <c>POST /auth/{id}/revoke</c> answer.
/// </summary>
public static class CredentialsCommand
{
    public static async Task<int> RunAsync(string[] args)
    {
        var subcommand = args.Length > 0 ? args[0] : throw new UsageException("credentials needs a subcommand: create, list or revoke.");
        var (options, rest) = CommandHost.Split(args[1..], (string[])(subcommand switch
        {
            "create" => ["id", "role", "algorithm"],
            "revoke" => ["id"],
            "list" => [],
            _ => throw new UsageException($"Unknown credentials subcommand '{subcommand}'."),
        }));
        var register = subcommand == "create" ? new RegisterHawkCredential(Required(options, "id"), options.GetValueOrDefault("role"), options.GetValueOrDefault("algorithm")) : null;
        RegisteredCredential? created = null;
        Func<ISender, Task<object>> run = subcommand switch
        {
            "create" => async sender => (created = await sender.Send(register!)).ToResponse(),
            "list" => async sender => (await sender.Send(new ListHawkCredentials())).Select(c => c.ToResponse()).ToList(),
            "revoke" => Revoke(Required(options, "id")),
            _ => throw new System.Diagnostics.UnreachableException(),
        };

        return await CommandHost.PrintAsync<RegisterHawkCredential, RegisteredCredential>(rest, run, register, register is null ? null : Unprinted(register.Id!), answer => Recorded(answer, created));
    }

    /// <summary>What a create or a revoke leaves in the request log (a listing, nothing); never a key.</summary>
    private static CommandHost.Recorded? Recorded(object answer, RegisteredCredential? created) => answer switch
    {
        Contracts.RegisteredCredentialResponse when created is not null => new("credentials create", created.Describe()),
        Contracts.CredentialResponse revoked => new("credentials revoke", $"Revoked credential '{revoked.Id}' (role {revoked.Role})."),
        _ => null,
    };

    /// <summary>
    /// A new credential whose key could not be printed is removed again: nobody has seen its key,
    /// so nobody can use it, and its id stays free for the next try.
    /// </summary>
    private static CommandHost.Unprinted Unprinted(string id) => new(
        "the new credential",
        async services =>
        {
            var removed = await services.GetRequiredService<Infrastructure.Persistence.KeyManagerDbContext>().Credentials
                .Where(c => c.Id == id).ExecuteDeleteAsync(CancellationToken.None);
            return removed == 1
                ? $"credential '{id}' was removed, nothing was created"
                : $"credential '{id}' was not found to remove: check it with 'lkm credentials list'";
        },
        $"revoke it with 'lkm credentials revoke --id {id}'");

    private static Func<ISender, Task<object>> Revoke(string id) =>
        async sender => (await sender.Send(new RevokeHawkCredential(id))).ToResponse();

    private static string Required(Dictionary<string, string> options, string name) =>
        options.TryGetValue(name, out var value) ? value : throw new UsageException($"--{name} is required.");
}
