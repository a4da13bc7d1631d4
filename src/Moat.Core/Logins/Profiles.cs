namespace Moat.Logins;

/// <summary>How often a value was seen in a database's successful logins, with first and last time.</summary>
public sealed class ValueStat
{
    public long Count { get; set; }
    public DateTimeOffset FirstSeen { get; set; }
    public DateTimeOffset LastSeen { get; set; }
}

/// <summary>GuardDuty's frequency classes for a value in a profile.</summary>
public enum Frequency
{
    Unseen,
    Rare,
    Infrequent,
    Frequent,
}

/// <summary>What is normal for one database user: where from, with what, into which database.</summary>
public sealed class UserProfile
{
    public ValueStat Logins { get; set; } = new();
    public Dictionary<string, ValueStat> Networks { get; set; } = new(StringComparer.Ordinal);
    public Dictionary<string, ValueStat> AsnOrgs { get; set; } = new(StringComparer.Ordinal);
    public Dictionary<string, ValueStat> Applications { get; set; } = new(StringComparer.Ordinal);
    public Dictionary<string, ValueStat> DatabaseNames { get; set; } = new(StringComparer.Ordinal);
    public Dictionary<string, ValueStat> Ssl { get; set; } = new(StringComparer.Ordinal);
    public Dictionary<string, ValueStat> AuthMethods { get; set; } = new(StringComparer.Ordinal);
}

/// <summary>
/// The learned picture of one database's successful logins, plus what idempotency needs: the newest event
/// time processed and the identities seen at exactly that time. State grows with users and values, not
/// with the number of log lines.
/// </summary>
public sealed class DatabaseProfile
{
    public string Database { get; set; } = "";
    public string? Cluster { get; set; }
    public string? Engine { get; set; }
    public DateTimeOffset FirstSeen { get; set; }
    public DateTimeOffset LastSeen { get; set; }
    public long SuccessfulLogins { get; set; }
    public long FailedLogins { get; set; }
    public long IncompleteConnections { get; set; }
    public Dictionary<string, UserProfile> Users { get; set; } = new(StringComparer.Ordinal);

    /// <summary>Event time up to which this database's logins have been processed.</summary>
    public DateTimeOffset Horizon { get; set; }

    /// <summary>Identities of the events processed at exactly <see cref="Horizon"/> (ties at the boundary).</summary>
    public HashSet<string> AtHorizon { get; set; } = new(StringComparer.Ordinal);

    public static Frequency Classify(ValueStat? stat, DateTimeOffset firstSeen, DateTimeOffset now)
    {
        if (stat is null || stat.Count == 0) return Frequency.Unseen;
        // Logins per month over the time the database has been observed (at least a day).
        double days = Math.Max(1, (now - firstSeen).TotalDays);
        double perMonth = stat.Count * 30 / days;
        return perMonth >= 4 ? Frequency.Frequent : perMonth >= 1 ? Frequency.Infrequent : Frequency.Rare;
    }

    public static void Add(Dictionary<string, ValueStat> map, string? value, DateTimeOffset t)
    {
        if (string.IsNullOrEmpty(value)) return;
        if (!map.TryGetValue(value, out var s)) map[value] = s = new ValueStat { FirstSeen = t };
        Touch(s, t);
    }

    public static void Touch(ValueStat s, DateTimeOffset t)
    {
        if (s.Count == 0 || t < s.FirstSeen) s.FirstSeen = t;
        if (t > s.LastSeen) s.LastSeen = t;
        s.Count++;
    }
}

/// <summary>
/// Where profiles live between runs: in memory for tests and one-off scans, SQLite by default
/// (src/Moat.State.Sqlite), PostgreSQL for shared deployments. The detector owns no storage.
/// </summary>
public interface IProfileStore
{
    /// <summary>The profile of a database, or null when it has never been seen.</summary>
    DatabaseProfile? Load(string database);

    /// <summary>Stores the profiles changed by a scan, atomically.</summary>
    void Save(IReadOnlyCollection<DatabaseProfile> profiles);
}

public sealed class InMemoryProfileStore : IProfileStore
{
    private readonly Dictionary<string, string> _json = new(StringComparer.Ordinal);

    // Stored serialised, as a real store would, so a test cannot share live objects between runs by accident.
    public DatabaseProfile? Load(string database) =>
        _json.TryGetValue(database, out var j) ? System.Text.Json.JsonSerializer.Deserialize<DatabaseProfile>(j) : null;

    public void Save(IReadOnlyCollection<DatabaseProfile> profiles)
    {
        foreach (var p in profiles) _json[p.Database] = System.Text.Json.JsonSerializer.Serialize(p);
    }
}
