using System.Data.Common;
using System.Runtime.CompilerServices;
using System.Text;
using LocalKeyManager.Domain.Audit;
using Microsoft.EntityFrameworkCore;
using Microsoft.EntityFrameworkCore.Metadata;
using Microsoft.EntityFrameworkCore.Storage;

namespace LocalKeyManager.Infrastructure.Persistence.AuditChain;

/// <summary>
/// Appends entries to the request-log chain inside the caller's transaction: locks the chain
/// head (so concurrent instances serialise here), links each entry to the previous one, inserts
/// them and moves the head. Its row binding is shared with PostgreSQL's one-statement append. Plain SQL rather than the change tracker: this runs for every group
/// commit, and the change tracker cost more CPU than the rows themselves. Values are bound
/// through the model's own type mappings, so each provider stores exactly what EF Core would.
/// </summary>
internal static class ChainAppender
{
    /// <summary>Rows per INSERT: 14 parameters each stays under SQL Server's 2,100.</summary>
    private const int RowsPerStatement = 64;

    /// <summary>Every mapped property of an entry and where its value comes from.</summary>
    private static readonly (string Property, Func<LinkedEntry, object?> Value)[] Columns =
    [
        (nameof(RequestLogEntry.Id), l => l.Entry.Id),
        (nameof(RequestLogEntry.Timestamp), l => l.Entry.Timestamp),
        (nameof(RequestLogEntry.CredentialId), l => l.Entry.CredentialId),
        (nameof(RequestLogEntry.UserId), l => l.Entry.UserId),
        (nameof(RequestLogEntry.RequestMethod), l => l.Entry.RequestMethod),
        (nameof(RequestLogEntry.RequestUri), l => l.Entry.RequestUri),
        (nameof(RequestLogEntry.Status), l => l.Entry.Status),
        (nameof(RequestLogEntry.KeypairId), l => l.Entry.KeypairId),
        (nameof(RequestLogEntry.ClientAddress), l => l.Entry.ClientAddress),
        (nameof(RequestLogEntry.DurationMs), l => l.Entry.DurationMs),
        (nameof(RequestLogEntry.Detail), l => l.Entry.Detail),
        (RequestLogChainColumns.Seq, l => l.Seq),
        (RequestLogChainColumns.PrevHash, l => l.PrevHash),
        (RequestLogChainColumns.Hash, l => l.Hash),
    ];

    public static async Task AppendAsync(KeyManagerDbContext db, IDatabaseDialect dialect, IReadOnlyList<RequestLogEntry> entries, CancellationToken cancellationToken)
    {
        var head = await LockHeadAsync(db, dialect, cancellationToken);
        var linked = LinkedEntry.After(head, entries);
        if (linked.Count == 0)
        {
            return;
        }

        var transaction = db.Database.CurrentTransaction!.GetDbTransaction();
        var target = Target(db.Model);
        for (var start = 0; start < linked.Count; start += RowsPerStatement)
        {
            await using var insert = Command(db, transaction);
            var rows = Rows(db.Model, insert, linked, start, Math.Min(linked.Count, start + RowsPerStatement));
            insert.CommandText = $"INSERT INTO {target.Table} ({target.ColumnList}) VALUES {rows}";
            await insert.ExecuteNonQueryAsync(cancellationToken);
        }

        await using var move = Command(db, transaction);
        move.CommandText = "UPDATE request_log_chain SET seq = @seq, hash = @hash WHERE id = @id";
        move.AddParameter("@seq", linked[^1].Seq);
        move.AddParameter("@hash", linked[^1].Hash);
        move.AddParameter("@id", ChainHeadRow.SingletonId);
        await move.ExecuteNonQueryAsync(cancellationToken);
    }

    /// <summary>Reads the chain head and locks it until the caller's transaction ends.</summary>
    public static async Task<ChainHeadRow> LockHeadAsync(KeyManagerDbContext db, IDatabaseDialect dialect, CancellationToken cancellationToken)
    {
        var transaction = db.Database.CurrentTransaction?.GetDbTransaction()
            ?? throw new InvalidOperationException("The request-log chain head is locked only inside a transaction.");
        await using var command = Command(db, transaction);
        command.CommandText = dialect.LockChainHeadSql;
        await using var reader = await command.ExecuteReaderAsync(cancellationToken);
        if (!await reader.ReadAsync(cancellationToken))
        {
            throw new InvalidOperationException("The request-log chain head is missing: the schema was not created by the migrations.");
        }

        return new ChainHeadRow { Id = reader.GetInt32(0), Seq = reader.GetInt64(1), Hash = (byte[])reader.GetValue(2) };
    }

    /// <summary>The request log's table and its column list, in the order <see cref="Rows"/> binds them.</summary>
    public static (string Table, string ColumnList) Target(IModel model)
    {
        var mapping = Mapping(model);
        return (mapping.Table, mapping.ColumnList);
    }

    /// <summary>
    /// <c>(@p0_0, ...), (@p1_0, ...)</c> for <paramref name="linked"/>[start..end), with each value
    /// bound on <paramref name="command"/> through the model's type mapping of its column.
    /// </summary>
    public static string Rows(IModel model, DbCommand command, IReadOnlyList<LinkedEntry> linked, int start, int end)
    {
        var columns = Mapping(model).Columns;
        var sql = new StringBuilder();
        for (var row = start; row < end; row++)
        {
            sql.Append(row == start ? "(" : ", (");
            for (var c = 0; c < columns.Length; c++)
            {
                var name = $"@p{row - start}_{c}";
                sql.Append(c == 0 ? string.Empty : ", ").Append(name);
                command.Parameters.Add(columns[c].Mapping.CreateParameter(command, name, Columns[c].Value(linked[row]), columns[c].Nullable));
            }

            sql.Append(')');
        }

        return sql.ToString();
    }

    /// <summary>A command on the context's connection, in <paramref name="transaction"/> if any, with the context's timeout.</summary>
    public static DbCommand Command(KeyManagerDbContext db, DbTransaction? transaction)
    {
        var command = db.Database.GetDbConnection().CreateCommand();
        command.Transaction = transaction;
        if (db.Database.GetCommandTimeout() is { } timeout)
        {
            command.CommandTimeout = timeout;
        }

        return command;
    }

    private sealed record Column(string Name, RelationalTypeMapping Mapping, bool Nullable);

    private sealed record RequestLogMapping(string Table, string ColumnList, Column[] Columns);

    private static readonly ConditionalWeakTable<IModel, RequestLogMapping> Mappings = [];

    private static RequestLogMapping Mapping(IModel model) => Mappings.GetValue(model, ReadMapping);

    private static RequestLogMapping ReadMapping(IModel model)
    {
        var entity = model.FindEntityType(typeof(RequestLogEntry)) ?? throw new InvalidOperationException("The model has no request log.");
        var table = StoreObjectIdentifier.Table(entity.GetTableName()!, entity.GetSchema());
        var properties = entity.GetProperties().ToDictionary(p => p.Name, StringComparer.Ordinal);
        if (properties.Count != Columns.Length || Columns.Any(c => !properties.ContainsKey(c.Property)))
        {
            // A property added to the entry without a value here would be silently left empty.
            throw new InvalidOperationException(
                $"ChainAppender.Columns does not cover the request-log mapping ({string.Join(", ", properties.Keys.Order(StringComparer.Ordinal))}).");
        }

        var columns = Columns
            .Select(c => properties[c.Property])
            .Select(p => new Column(p.GetColumnName(table)!, p.GetRelationalTypeMapping(), p.IsNullable))
            .ToArray();
        return new RequestLogMapping(table.Name, string.Join(", ", columns.Select(c => c.Name)), columns);
    }
}
