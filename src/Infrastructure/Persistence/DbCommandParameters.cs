using System.Data.Common;

namespace LocalKeyManager.Infrastructure.Persistence;

internal static class DbCommandParameters
{
    /// <summary>Adds a parameter with the provider's default type for <paramref name="value"/>.</summary>
    public static void AddParameter(this DbCommand command, string name, object value)
    {
        var parameter = command.CreateParameter();
        parameter.ParameterName = name;
        parameter.Value = value;
        command.Parameters.Add(parameter);
    }
}
