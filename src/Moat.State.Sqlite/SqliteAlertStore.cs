using System.Globalization;
using Microsoft.Data.Sqlite;
using Moat.Alerts;
using Moat.Destinations;
using Moat.Rules;

namespace Moat.State.Sqlite;

/// <summary>
/// Alert state in the state file. An input's matches and its "processed" mark are written in one transaction,
/// so a scan killed at any point leaves either all of an input or none of it; matches are keyed by rule and
/// event, so storing one twice is a no-op. Alerts are grouped from the matches when read (see
/// <see cref="AlertGrouper"/>), which is what makes a killed-and-rerun scan end with exactly the same alerts.
/// The same file remembers what each alert destination received (<see cref="IDeliveryStore"/>).
/// </summary>
public sealed class SqliteAlertStore : IAlertStore, IDeliveryStore, IDisposable
{
    private readonly SqliteConnection _db;

    public string Path { get; }

    public SqliteAlertStore(string path)
    {
        Path = path;
        _db = StateFile.Open(path);
    }

    public bool IsProcessed(InputFingerprint input)
    {
        using var cmd = _db.CreateCommand();
        cmd.CommandText = "SELECT 1 FROM inputs WHERE path = $p AND size = $s AND modified = $m AND head_hash = $h";
        cmd.Parameters.AddWithValue("$p", input.Path);
        cmd.Parameters.AddWithValue("$s", input.Size);
        cmd.Parameters.AddWithValue("$m", input.ModifiedTicks);
        cmd.Parameters.AddWithValue("$h", input.HeadHash);
        return cmd.ExecuteScalar() is not null;
    }

    public void Commit(InputFingerprint? input, IReadOnlyList<StoredMatch> matches, ActivityBlock? activity = null) =>
        CommitMany([(input, matches, activity)]);

    /// <summary>Several inputs in one transaction: each is still all-or-nothing, and commits cost less.</summary>
    public void CommitMany(IReadOnlyList<(InputFingerprint? Input, IReadOnlyList<StoredMatch> Matches, ActivityBlock? Activity)> items)
    {
        using var tx = _db.BeginTransaction(deferred: false);
        foreach (var (input, matches, activity) in items) Write(tx, input, matches, activity);
        tx.Commit();
    }

    private void Write(SqliteTransaction tx, InputFingerprint? input, IReadOnlyList<StoredMatch> matches, ActivityBlock? activity)
    {
        using (var cmd = _db.CreateCommand())
        {
            cmd.Transaction = tx;
            cmd.CommandText = """
                INSERT OR IGNORE INTO matches(rule_id, event_key, dedup_key, event_time, severity, title, account, principal, period_seconds, threshold, distinct_value, finding, hidden)
                VALUES ($r, $k, $d, $t, $sev, $title, $a, $p, $per, $th, $dv, $f, $hid)
                """;
            var r = cmd.Parameters.Add("$r", SqliteType.Text);
            var k = cmd.Parameters.Add("$k", SqliteType.Text);
            var d = cmd.Parameters.Add("$d", SqliteType.Text);
            var t = cmd.Parameters.Add("$t", SqliteType.Text);
            var sev = cmd.Parameters.Add("$sev", SqliteType.Integer);
            var title = cmd.Parameters.Add("$title", SqliteType.Text);
            var a = cmd.Parameters.Add("$a", SqliteType.Text);
            var p = cmd.Parameters.Add("$p", SqliteType.Text);
            var per = cmd.Parameters.Add("$per", SqliteType.Real);
            var th = cmd.Parameters.Add("$th", SqliteType.Integer);
            var dv = cmd.Parameters.Add("$dv", SqliteType.Text);
            var f = cmd.Parameters.Add("$f", SqliteType.Text);
            var hid = cmd.Parameters.Add("$hid", SqliteType.Integer);
            foreach (var m in matches)
            {
                r.Value = m.RuleId;
                k.Value = m.EventKey;
                d.Value = m.DedupKey;
                t.Value = m.Time.UtcDateTime.ToString("O", CultureInfo.InvariantCulture);
                sev.Value = (int)m.Severity;
                title.Value = m.Title;
                a.Value = (object?)m.Account ?? DBNull.Value;
                p.Value = (object?)m.Principal ?? DBNull.Value;
                per.Value = m.Period.TotalSeconds;
                th.Value = m.Threshold;
                dv.Value = (object?)m.DistinctValue ?? DBNull.Value;
                f.Value = m.FindingJson;
                hid.Value = m.Hidden ? 1 : 0;
                cmd.ExecuteNonQuery();
            }
        }
        if (activity is not null)
        {
            using var cmd = _db.CreateCommand();
            cmd.Transaction = tx;
            cmd.CommandText = "INSERT INTO activity(input, events, first_time, last_time, data) VALUES ($i, $n, $f, $l, $d) ON CONFLICT(input) DO UPDATE SET events = $n, first_time = $f, last_time = $l, data = $d";
            cmd.Parameters.AddWithValue("$i", activity.Input);
            cmd.Parameters.AddWithValue("$n", activity.Events);
            cmd.Parameters.AddWithValue("$f", (object?)activity.FirstTime ?? DBNull.Value);
            cmd.Parameters.AddWithValue("$l", (object?)activity.LastTime ?? DBNull.Value);
            cmd.Parameters.AddWithValue("$d", activity.Data);
            cmd.ExecuteNonQuery();
        }
        if (input is not null)
        {
            using var cmd = _db.CreateCommand();
            cmd.Transaction = tx;
            cmd.CommandText = "INSERT INTO inputs(path, size, modified, head_hash, scanned) VALUES ($p, $s, $m, $h, $w) ON CONFLICT(path) DO UPDATE SET size = $s, modified = $m, head_hash = $h, scanned = $w";
            cmd.Parameters.AddWithValue("$p", input.Path);
            cmd.Parameters.AddWithValue("$s", input.Size);
            cmd.Parameters.AddWithValue("$m", input.ModifiedTicks);
            cmd.Parameters.AddWithValue("$h", input.HeadHash);
            cmd.Parameters.AddWithValue("$w", DateTimeOffset.UtcNow.ToString("O", CultureInfo.InvariantCulture));
            cmd.ExecuteNonQuery();
        }
    }

    public IReadOnlyList<StoredMatch> Matches()
    {
        using var cmd = _db.CreateCommand();
        cmd.CommandText = "SELECT rule_id, event_key, dedup_key, event_time, severity, title, account, principal, period_seconds, threshold, distinct_value, finding, hidden FROM matches ORDER BY rule_id, dedup_key, event_time, event_key";
        using var r = cmd.ExecuteReader();
        var list = new List<StoredMatch>();
        while (r.Read())
        {
            list.Add(new StoredMatch(r.GetString(0), r.GetString(1), r.GetString(2),
                DateTimeOffset.Parse(r.GetString(3), CultureInfo.InvariantCulture, DateTimeStyles.AssumeUniversal | DateTimeStyles.AdjustToUniversal),
                (Severity)r.GetInt32(4), r.GetString(5), r.IsDBNull(6) ? null : r.GetString(6), r.IsDBNull(7) ? null : r.GetString(7),
                TimeSpan.FromSeconds(r.GetDouble(8)), r.GetInt32(9), r.IsDBNull(10) ? null : r.GetString(10), r.GetString(11)) { Hidden = r.GetInt64(12) != 0 });
        }
        return list;
    }

    public IEnumerable<ActivityBlock> Activity(DateTimeOffset from, DateTimeOffset to)
    {
        using var cmd = _db.CreateCommand();
        // Times are ISO 8601 text as CloudTrail writes them, so they compare correctly as strings.
        cmd.CommandText = "SELECT input, events, first_time, last_time, data FROM activity WHERE last_time >= $f AND first_time <= $t ORDER BY input";
        cmd.Parameters.AddWithValue("$f", from.UtcDateTime.ToString("yyyy-MM-ddTHH:mm:ss", CultureInfo.InvariantCulture));
        cmd.Parameters.AddWithValue("$t", to.UtcDateTime.ToString("yyyy-MM-ddTHH:mm:ss'Z'", CultureInfo.InvariantCulture));
        using var r = cmd.ExecuteReader();
        var list = new List<ActivityBlock>();
        while (r.Read())
            list.Add(new ActivityBlock(r.GetString(0), r.GetInt64(1), r.IsDBNull(2) ? null : r.GetString(2), r.IsDBNull(3) ? null : r.GetString(3), (byte[])r[4]));
        return list;
    }

    public IReadOnlyDictionary<string, (string Status, string? Reason)> Statuses()
    {
        using var cmd = _db.CreateCommand();
        cmd.CommandText = "SELECT alert_id, status, reason FROM alert_status";
        using var r = cmd.ExecuteReader();
        var map = new Dictionary<string, (string, string?)>(StringComparer.Ordinal);
        while (r.Read()) map[r.GetString(0)] = (r.GetString(1), r.IsDBNull(2) ? null : r.GetString(2));
        return map;
    }

    public void SetStatus(string alertId, string status, string? reason)
    {
        using var cmd = _db.CreateCommand();
        cmd.CommandText = "INSERT INTO alert_status(alert_id, status, reason, changed) VALUES ($i, $s, $r, $c) ON CONFLICT(alert_id) DO UPDATE SET status = $s, reason = $r, changed = $c";
        cmd.Parameters.AddWithValue("$i", alertId);
        cmd.Parameters.AddWithValue("$s", status);
        cmd.Parameters.AddWithValue("$r", (object?)reason ?? DBNull.Value);
        cmd.Parameters.AddWithValue("$c", DateTimeOffset.UtcNow.ToString("O", CultureInfo.InvariantCulture));
        cmd.ExecuteNonQuery();
    }

    public IReadOnlyDictionary<string, DeliveryRecord> Deliveries(string destination)
    {
        using var cmd = _db.CreateCommand();
        cmd.CommandText = "SELECT alert_id, count, status, delivered FROM deliveries WHERE destination = $d";
        cmd.Parameters.AddWithValue("$d", destination);
        using var r = cmd.ExecuteReader();
        var map = new Dictionary<string, DeliveryRecord>(StringComparer.Ordinal);
        while (r.Read())
            map[r.GetString(0)] = new DeliveryRecord(destination, r.GetString(0), r.GetInt64(1), r.GetString(2),
                DateTimeOffset.Parse(r.GetString(3), CultureInfo.InvariantCulture, DateTimeStyles.AssumeUniversal | DateTimeStyles.AdjustToUniversal));
        return map;
    }

    public void RecordDelivery(DeliveryRecord delivery)
    {
        using var cmd = _db.CreateCommand();
        cmd.CommandText = "INSERT INTO deliveries(destination, alert_id, count, status, delivered) VALUES ($d, $a, $n, $s, $t) ON CONFLICT(destination, alert_id) DO UPDATE SET count = $n, status = $s, delivered = $t";
        cmd.Parameters.AddWithValue("$d", delivery.Destination);
        cmd.Parameters.AddWithValue("$a", delivery.AlertId);
        cmd.Parameters.AddWithValue("$n", delivery.Count);
        cmd.Parameters.AddWithValue("$s", delivery.Status);
        cmd.Parameters.AddWithValue("$t", delivery.DeliveredAt.UtcDateTime.ToString("O", CultureInfo.InvariantCulture));
        cmd.ExecuteNonQuery();
    }

    public void AddSuppressionHits(string name, long hits)
    {
        using var cmd = _db.CreateCommand();
        cmd.CommandText = "INSERT INTO suppression_hits(name, hits, last_hit) VALUES ($n, $h, $t) ON CONFLICT(name) DO UPDATE SET hits = hits + $h, last_hit = $t";
        cmd.Parameters.AddWithValue("$n", name);
        cmd.Parameters.AddWithValue("$h", hits);
        cmd.Parameters.AddWithValue("$t", DateTimeOffset.UtcNow.ToString("O", CultureInfo.InvariantCulture));
        cmd.ExecuteNonQuery();
    }

    /// <summary>Running hit counts of suppressions, by name.</summary>
    public IReadOnlyDictionary<string, long> SuppressionHits()
    {
        using var cmd = _db.CreateCommand();
        cmd.CommandText = "SELECT name, hits FROM suppression_hits";
        using var r = cmd.ExecuteReader();
        var map = new Dictionary<string, long>(StringComparer.Ordinal);
        while (r.Read()) map[r.GetString(0)] = r.GetInt64(1);
        return map;
    }

    public void Dispose() => _db.Dispose();
}
