using System.Text.Json;
using LocalKeyManager.Api.Contracts.Mapping;
using LocalKeyManager.Application.Credentials.ListHawkCredentials;
using LocalKeyManager.Application.Credentials.RegisterHawkCredential;
using LocalKeyManager.Application.Credentials.RevokeHawkCredential;
using LocalKeyManager.Application.Errors;
using Mediator;

namespace LocalKeyManager.Api.Cli;

/// <summary>
/// <c>credentials create --id ID [--role admin|genesys]</c> prints exactly what <c>POST /auth</c>
/// answers (so a container can bootstrap its first admin); <c>list</c> and <c>revoke</c> print
/// what <c>GET /auth</c> and <c>POST /auth/{id}/revoke</c> answer.
/// </summary>
public static class CredentialsCommand
{
    private static readonly JsonSerializerOptions Json = new(JsonSerializerDefaults.Web);

    public static async Task<int> RunAsync(string[] args)
    {
        if (args.Length == 0)
        {
            throw new UsageException("credentials needs a subcommand: create, list or revoke.");
        }

        var (options, rest) = CommandHost.Split(args[1..], "id", "role");
        using var host = await CommandHost.StartAsync(rest);
        await using var scope = host.Services.CreateAsyncScope();
        var sender = scope.ServiceProvider.GetRequiredService<ISender>();
        try
        {
            object answer = args[0] switch
            {
                "create" => (await sender.Send(new RegisterHawkCredential(Required(options, "id"), options.GetValueOrDefault("role")))).ToResponse(),
                "list" => (await sender.Send(new ListHawkCredentials())).Select(c => c.ToResponse()).ToList(),
                "revoke" => (await sender.Send(new RevokeHawkCredential(Required(options, "id")))).ToResponse(),
                _ => throw new UsageException($"Unknown credentials subcommand '{args[0]}'."),
            };
            Console.WriteLine(JsonSerializer.Serialize(answer, Json));
            return 0;
        }
        catch (ApplicationErrorException e)
        {
            return CommandLine.Fail(e.Message, 1);
        }
    }

    private static string Required(Dictionary<string, string> options, string name) =>
        options.TryGetValue(name, out var value) ? value : throw new UsageException($"--{name} is required.");
}
