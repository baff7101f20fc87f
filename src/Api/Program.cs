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
        // ICU is loaded for SQL Server's client (Directory.Build.props); what the service writes and
        // reads stays independent of the machine's locale, as it was in invariant mode.
        System.Globalization.CultureInfo.DefaultThreadCurrentCulture = System.Globalization.CultureInfo.InvariantCulture;
        System.Globalization.CultureInfo.DefaultThreadCurrentUICulture = System.Globalization.CultureInfo.InvariantCulture;
        System.Globalization.CultureInfo.CurrentCulture = System.Globalization.CultureInfo.InvariantCulture;
        System.Globalization.CultureInfo.CurrentUICulture = System.Globalization.CultureInfo.InvariantCulture;
        GlibcMalloc.LimitArenas();
        return CommandLine.RunAsync(args);
    }
}
