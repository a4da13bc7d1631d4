using System.Security.Cryptography;
using System.Text;
using Moat.Rules;

namespace Moat.Alerts;

/// <summary>
/// One stored match: a finding reduced to what grouping and listing need, plus the finding itself (JSON).
/// <see cref="EventKey"/> is the CloudTrail eventID (or a hash of the record): storing a match twice is a no-op.
/// </summary>
public sealed record StoredMatch(
    string RuleId,
    string EventKey,
    string DedupKey,
    DateTimeOffset Time,
    Severity Severity,
    string Title,
    string? Account,
    string? Principal,
    TimeSpan Period,
    int Threshold,
    string? DistinctValue,
    string FindingJson)
{
    /// <summary>Kept only as input to correlations: the rule does not alert on its own (Sigma <c>generate: false</c>).</summary>
    public bool Hidden { get; init; }
}

/// <summary>What identifies an input's content cheaply: path, size, modification time and a hash of its head.</summary>
public sealed record InputFingerprint(string Path, long Size, long ModifiedTicks, string HeadHash)
{
    public static InputFingerprint? Of(string path)
    {
        try
        {
            var info = new FileInfo(path);
            using var s = new FileStream(path, FileMode.Open, FileAccess.Read, FileShare.ReadWrite);
            var head = new byte[64 << 10];
            int n = s.ReadAtLeast(head, head.Length, throwOnEndOfStream: false);
            return new InputFingerprint(System.IO.Path.GetFullPath(path), info.Length, info.LastWriteTimeUtc.Ticks, Convert.ToHexStringLower(SHA256.HashData(head.AsSpan(0, n))));
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            return null;
        }
    }
}

public sealed record Alert(
    string Id,
    string RuleId,
    string DedupKey,
    Severity Severity,
    string Title,
    string Status,
    string? StatusReason,
    long Count,
    DateTimeOffset FirstSeen,
    DateTimeOffset LastSeen,
    string? Account,
    string? Principal,
    IReadOnlyList<StoredMatch> Matches);

/// <summary>Durable alert state: processed inputs, matches, and the analyst's status for each alert.</summary>
public interface IAlertStore
{
    bool IsProcessed(InputFingerprint input);

    /// <summary>Stores one input's matches (and activity block) and marks the input processed, in one transaction.</summary>
    void Commit(InputFingerprint? input, IReadOnlyList<StoredMatch> matches, ActivityBlock? activity = null);

    /// <summary>Activity blocks whose time range overlaps [from, to].</summary>
    IEnumerable<ActivityBlock> Activity(DateTimeOffset from, DateTimeOffset to);

    /// <summary>All matches, ordered by rule, dedup key and event time.</summary>
    IReadOnlyList<StoredMatch> Matches();

    IReadOnlyDictionary<string, (string Status, string? Reason)> Statuses();

    void SetStatus(string alertId, string status, string? reason);

    /// <summary>Adds to the running count of a suppression's hits.</summary>
    void AddSuppressionHits(string name, long hits);
}

/// <summary>
/// Matches → alerts, on event time. Per rule and dedup key: an alert opens when <c>threshold</c> matches (or that
/// many distinct values) fall within one period, and takes every following match up to one period after its
/// first; the next match after that starts over. The result depends only on the set of matches, never on the
/// order they were stored or on how many runs stored them: a scan killed and re-run yields the same alerts.
/// </summary>
public static class AlertGrouper
{
    public static List<Alert> Group(IReadOnlyList<StoredMatch> matches, IReadOnlyDictionary<string, (string Status, string? Reason)> statuses)
    {
        var alerts = new List<Alert>();
        foreach (var group in matches.Where(m => !m.Hidden).GroupBy(m => (m.RuleId, m.DedupKey)))
        {
            var ordered = group.OrderBy(m => m.Time).ThenBy(m => m.EventKey, StringComparer.Ordinal).ToList();
            List<StoredMatch>? open = null;
            var pending = new List<StoredMatch>();
            foreach (var m in ordered)
            {
                if (open is not null)
                {
                    if (m.Time - open[0].Time <= m.Period) { open.Add(m); continue; }
                    alerts.Add(Make(open, statuses));
                    open = null;
                }
                pending.Add(m);
                pending.RemoveAll(p => m.Time - p.Time > m.Period);
                long measure = m.DistinctValue is null && pending.All(p => p.DistinctValue is null)
                    ? pending.Count
                    : pending.Select(p => p.DistinctValue ?? "").Distinct(StringComparer.Ordinal).Count();
                if (measure >= m.Threshold)
                {
                    open = [.. pending];
                    pending.Clear();
                }
            }
            if (open is not null) alerts.Add(Make(open, statuses));
        }
        alerts.Sort((a, b) => a.FirstSeen != b.FirstSeen ? a.FirstSeen.CompareTo(b.FirstSeen) : string.CompareOrdinal(a.Id, b.Id));
        return alerts;
    }

    private static string IdOf(StoredMatch m) =>
        Convert.ToHexStringLower(SHA256.HashData(Encoding.UTF8.GetBytes($"{m.RuleId}\u001f{m.DedupKey}\u001f{m.EventKey}")).AsSpan(0, 8));

    private static Alert Make(List<StoredMatch> ms, IReadOnlyDictionary<string, (string Status, string? Reason)> statuses)
    {
        var first = ms[0];
        // The id names the rule, the key and the first match: stable across runs and machines.
        var id = IdOf(first);
        // A late match earlier than the alert's first (CloudTrail files arrive out of order) gives the alert a new
        // id; the analyst's status then follows the match that named the alert before, instead of being lost.
        (string Status, string? Reason) state = ("open", null);
        if (statuses.TryGetValue(id, out var own)) state = own;
        else if (statuses.Count > 0)
            foreach (var m in ms.Skip(1))
                if (statuses.TryGetValue(IdOf(m), out var earlier)) { state = earlier; break; }
        var (status, reason) = state;
        return new Alert(id, first.RuleId, first.DedupKey, ms.Max(m => m.Severity), first.Title, status, reason, ms.Count,
            first.Time, ms[^1].Time, first.Account, first.Principal, ms);
    }
}
