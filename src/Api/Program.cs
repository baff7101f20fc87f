using LocalKeyManager.Api.Cli;
using LocalKeyManager.Infrastructure.Platform;

namespace LocalKeyManager.Api;

/// <summary>
/// One executable for the service and its command line: <c>serve</c> (the default), <c>migrate</c>,
/// <c>credentials create|list|revoke</c>. Public and partial for <c>WebApplicationFactory</c>.
/// </summary>
public partial class Program
{
    public static Task<int> Main(string[] args)
    {
        GlibcMalloc.LimitArenas();
        return CommandLine.RunAsync(args);
    }
}
