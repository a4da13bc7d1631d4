namespace Moat.Destinations;

/// <summary>What a destination last received for one alert: its match count and status at that time.</summary>
public sealed record DeliveryRecord(string Destination, string AlertId, long Count, string Status, DateTimeOffset DeliveredAt);

/// <summary>
/// Remembers what each destination received, so a run sends only alerts that are new or changed since. Only
/// successful deliveries are recorded: anything not recorded is simply sent again by the next run.
/// </summary>
public interface IDeliveryStore
{
    /// <summary>The last delivery of each alert to <paramref name="destination"/>, by alert id.</summary>
    IReadOnlyDictionary<string, DeliveryRecord> Deliveries(string destination);

    void RecordDelivery(DeliveryRecord delivery);
}

/// <summary>An <see cref="IDeliveryStore"/> that forgets everything when the process ends (tests, one-off runs).</summary>
public sealed class InMemoryDeliveryStore : IDeliveryStore
{
    private readonly Dictionary<(string, string), DeliveryRecord> _records = [];
    private readonly Lock _lock = new();

    public IReadOnlyDictionary<string, DeliveryRecord> Deliveries(string destination)
    {
        lock (_lock)
            return _records.Values.Where(r => r.Destination == destination).ToDictionary(r => r.AlertId, StringComparer.Ordinal);
    }

    public void RecordDelivery(DeliveryRecord delivery)
    {
        lock (_lock) _records[(delivery.Destination, delivery.AlertId)] = delivery;
    }
}
