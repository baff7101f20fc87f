using System.Diagnostics;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.Logging;

namespace LocalKeyManager.Infrastructure.Persistence;

/// <summary>
/// Calls <c>onEvent</c> with the payload of every EF Core diagnostic event <c>eventId</c> raised
/// in the process until disposed, on the thread (and in the flow) that raised it. Every context
/// raises them: the callback tells its own apart (e.g. by the migrator in the payload).
/// </summary>
internal sealed class EfCoreEvents : IObserver<DiagnosticListener>, IObserver<KeyValuePair<string, object?>>, IDisposable
{
    private readonly string _name;
    private readonly Action<object?> _onEvent;
    private readonly List<IDisposable> _subscriptions = [];
    private readonly IDisposable _listeners;
    private bool _disposed;

    public EfCoreEvents(EventId eventId, Action<object?> onEvent)
    {
        _name = eventId.Name ?? throw new ArgumentException("The event has no name.", nameof(eventId));
        _onEvent = onEvent;
        _listeners = DiagnosticListener.AllListeners.Subscribe(this);
    }

    public void OnNext(DiagnosticListener value)
    {
        if (value.Name == DbLoggerCategory.Name)
        {
            lock (_subscriptions)
            {
                // A listener made while this is being disposed is not subscribed to: nothing would end it.
                if (!_disposed)
                {
                    _subscriptions.Add(value.Subscribe(this, name => name == _name));
                }
            }
        }
    }

    public void OnNext(KeyValuePair<string, object?> value) => _onEvent(value.Value);

    public void OnCompleted()
    {
    }

    public void OnError(Exception error)
    {
    }

    public void Dispose()
    {
        _listeners.Dispose();
        lock (_subscriptions)
        {
            _disposed = true;
            _subscriptions.ForEach(s => s.Dispose());
        }
    }
}
