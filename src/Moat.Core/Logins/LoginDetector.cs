using System.Net;
using System.Net.Sockets;
using System.Text;
using System.Text.Json;
using Moat.Emit;
using Moat.Rules;

namespace Moat.Logins;

/// <summary>What login detection needs to know about an address; implemented over threat lists, Tor exits and an ASN database.</summary>
public interface ILoginIntel
{
    /// <summary>The name of a threat list holding the address, or null.</summary>
    string? ThreatList(string ip);

    bool IsTorExit(string ip);

    /// <summary>"AS13335 CLOUDFLARENET" or null when unknown (no ASN database, or not routed).</summary>
    string? AsnOrg(string ip);

    /// <summary>Private, loopback, link-local or carrier-grade NAT space: GuardDuty rates logins from there low.</summary>
    bool IsPrivate(string ip);
}

/// <summary>No lists and no ASN data: addresses are only classed private or public.</summary>
public sealed class NoIntel : ILoginIntel
{
    public static NoIntel Instance { get; } = new();

    public string? ThreatList(string ip) => null;

    public bool IsTorExit(string ip) => false;

    public string? AsnOrg(string ip) => null;

    public bool IsPrivate(string ip) => Moat.Intel.IpClass.IsPrivate(ip) || ip is "localhost" or "[local]";
}

public sealed record LoginDetectionOptions
{
    /// <summary>Anomaly types are not reported during a database's first 14 days of event time (GuardDuty's baseline).</summary>
    public TimeSpan LearningPeriod { get; init; } = TimeSpan.FromDays(14);

    /// <summary>Occurrences of one finding (type, database, user, source) this close together are one finding with a count.</summary>
    public TimeSpan AggregationWindow { get; init; } = TimeSpan.FromHours(1);

    /// <summary>Failed logins from one public source within <see cref="BruteForceWindow"/> that make a "consistent pattern".</summary>
    public int BruteForceFailures { get; init; } = 5;

    public TimeSpan BruteForceWindow { get; init; } = TimeSpan.FromHours(1);

    /// <summary>How far out of time order lines may arrive (Aurora audit rows, overlapping files) and still be judged in order.</summary>
    public TimeSpan ReorderWindow { get; init; } = TimeSpan.FromMinutes(15);

    /// <summary>Also judge rdsadmin and local-socket connections.</summary>
    public bool IncludeInternal { get; init; }
}

/// <summary>The login-specific part of a finding: what GuardDuty's console and API show, plus the history beside it.</summary>
public sealed record LoginFindingDetails(
    string Type,
    string Database,
    string? Cluster,
    string? Engine,
    string? User,
    string? Application,
    string? DatabaseName,
    string? Ssl,
    string? AuthMethod,
    string RemoteIp,
    bool RemoteIsPrivate,
    string? AsnOrg,
    string? ThreatListName,
    long SuccessfulLoginCount,
    long FailedLoginCount,
    long IncompleteConnectionCount,
    long Count,
    DateTimeOffset FirstSeen,
    DateTimeOffset LastSeen,
    IReadOnlyList<KeyValuePair<string, string>> Unusual,
    IReadOnlyList<KeyValuePair<string, IReadOnlyList<(string Value, long Count, string Frequency)>>> Historical,
    IReadOnlyList<string> Lines);

/// <summary>
/// Learns each database's normal logins and reports the nine GuardDuty RDS Protection finding types from
/// the databases' own logs. Works on event time: lines are put back in time order per database within
/// <see cref="LoginDetectionOptions.ReorderWindow"/>, the learning period and windows are measured on
/// the events' timestamps, and re-scanning lines already processed changes nothing (per-database horizon).
/// </summary>
public sealed class LoginDetector(IProfileStore store, ILoginIntel intel, LoginDetectionOptions options)
{
    public const string AnomalousSuccess = "CredentialAccess:RDS/AnomalousBehavior.SuccessfulLogin";
    public const string AnomalousFailure = "CredentialAccess:RDS/AnomalousBehavior.FailedLogin";
    public const string SuccessfulBruteForce = "CredentialAccess:RDS/AnomalousBehavior.SuccessfulBruteForce";
    public const string MaliciousSuccess = "CredentialAccess:RDS/MaliciousIPCaller.SuccessfulLogin";
    public const string MaliciousFailure = "CredentialAccess:RDS/MaliciousIPCaller.FailedLogin";
    public const string MaliciousProbe = "Discovery:RDS/MaliciousIPCaller";
    public const string TorSuccess = "CredentialAccess:RDS/TorIPCaller.SuccessfulLogin";
    public const string TorFailure = "CredentialAccess:RDS/TorIPCaller.FailedLogin";
    public const string TorProbe = "Discovery:RDS/TorIPCaller";

    public static IReadOnlyList<string> AllTypes { get; } =
        [AnomalousSuccess, AnomalousFailure, SuccessfulBruteForce, MaliciousSuccess, MaliciousFailure, MaliciousProbe, TorSuccess, TorFailure, TorProbe];

    private readonly Dictionary<string, DatabaseProfile> _profiles = new(StringComparer.Ordinal);
    private readonly Dictionary<string, PriorityQueue<LoginEvent, (DateTimeOffset, int, long, long)>> _pending = new(StringComparer.Ordinal);
    private readonly Dictionary<string, int> _sourceOrder = new(StringComparer.Ordinal);
    private readonly Dictionary<string, DateTimeOffset> _newest = new(StringComparer.Ordinal);
    private readonly Dictionary<(string Db, string Ip), Queue<(DateTimeOffset Time, LoginOutcome Outcome, bool Unusual)>> _recent = new();
    private readonly Dictionary<(string Type, string Db, string User, string Ip), Aggregate> _open = new();
    private readonly Dictionary<(string Db, string Ip), List<Aggregate>> _openBySource = new();
    private readonly List<Finding> _findings = [];
    private long _sequence;
    private int _sinceSweep;

    public long Processed { get; private set; }
    public long AlreadySeen { get; private set; }
    public long InternalSkipped { get; private set; }

    private sealed class Aggregate
    {
        public required string Type;
        public required LoginEvent First;
        public required LoginEvent Last;
        public long Count;
        public long Successes, Failures, Incompletes;
        public string? ThreatList;
        public List<KeyValuePair<string, string>> Unusual = [];
        public List<KeyValuePair<string, IReadOnlyList<(string, long, string)>>> Historical = [];
        public Severity Severity;
        public string? SeverityReason;
        public List<string> Lines = [];
    }

    /// <summary>Takes one login event; it is judged once no earlier event of its database can still arrive.</summary>
    public void Add(LoginEvent e)
    {
        if (!_pending.TryGetValue(e.Database, out var queue)) _pending[e.Database] = queue = new();
        // Log timestamps often have whole seconds, and a parser decides a connection's outcome only when a later
        // line settles it: within one second, the order of the lines in their file is the true order.
        if (!_sourceOrder.TryGetValue(e.Source, out var sourceIndex)) _sourceOrder[e.Source] = sourceIndex = _sourceOrder.Count;
        queue.Enqueue(e, (e.Time, sourceIndex, e.Line, _sequence++));
        if (!_newest.TryGetValue(e.Database, out var newest) || e.Time > newest) _newest[e.Database] = newest = e.Time;
        while (queue.TryPeek(out var head, out _) && newest - head.Time > options.ReorderWindow)
            Process(queue.Dequeue());
    }

    /// <summary>
    /// Judges everything still buffered and closes the open aggregates; saves the profiles unless the caller
    /// will (<see cref="SaveProfiles"/>) after storing the findings, so a kill in between loses nothing.
    /// </summary>
    public List<Finding> Finish(bool saveProfiles = true)
    {
        foreach (var q in _pending.Values)
            while (q.Count > 0) Process(q.Dequeue());
        foreach (var a in _open.Values.ToList()) Emit(a);
        _open.Clear();
        if (saveProfiles) SaveProfiles();
        _findings.Sort((a, b) => string.CompareOrdinal(a.EventTime, b.EventTime));
        return _findings;
    }

    /// <summary>Stores the profiles (with their processed horizons).</summary>
    public void SaveProfiles() => store.Save(_profiles.Values);

    private DatabaseProfile Profile(LoginEvent e)
    {
        if (_profiles.TryGetValue(e.Database, out var p)) return p;
        p = store.Load(e.Database) ?? new DatabaseProfile { Database = e.Database, FirstSeen = e.Time, Horizon = DateTimeOffset.MinValue };
        p.Cluster ??= e.Cluster;
        p.Engine ??= e.Engine;
        _profiles[e.Database] = p;
        return p;
    }

    private void Process(LoginEvent e)
    {
        var profile = Profile(e);
        // Idempotency: events at or before the horizon were judged by an earlier run (or earlier in this one).
        if (e.Time < profile.Horizon || (e.Time == profile.Horizon && !profile.AtHorizon.Add(e.Identity)))
        {
            AlreadySeen++;
            return;
        }
        if (e.Time > profile.Horizon)
        {
            profile.Horizon = e.Time;
            profile.AtHorizon.Clear();
            profile.AtHorizon.Add(e.Identity);
        }
        if (e.Internal && !options.IncludeInternal)
        {
            InternalSkipped++;
            return;
        }
        Processed++;
        if (e.Time < profile.FirstSeen) profile.FirstSeen = e.Time;
        if (e.Time > profile.LastSeen) profile.LastSeen = e.Time;

        bool learning = e.Time < profile.FirstSeen + options.LearningPeriod;
        bool isPrivate = intel.IsPrivate(e.RemoteIp);
        var list = intel.ThreatList(e.RemoteIp);
        bool tor = intel.IsTorExit(e.RemoteIp);
        var asn = intel.AsnOrg(e.RemoteIp);
        var user = e.User ?? "(unknown)";
        var network = Network(e.RemoteIp);

        // Every open aggregate for this source and database counts this attempt, whatever its outcome.
        if (_openBySource.TryGetValue((e.Database, e.RemoteIp), out var openHere))
            foreach (var a in openHere)
                if (e.Time - a.Last.Time <= options.AggregationWindow) Count(a, e);
        if (++_sinceSweep >= 10_000) Sweep(e.Time);

        var recent = Recent(e.Database, e.RemoteIp, e.Time);
        switch (e.Outcome)
        {
            case LoginOutcome.Success:
            {
                if (list is not null) Report(MaliciousSuccess, e, Severity.High, null, list, null);
                if (tor) Report(TorSuccess, e, Severity.High, null, "tor-exit", null);
                if (!learning)
                {
                    var unusual = UnusualSuccess(profile, e, user, network, asn);
                    if (unusual.Count > 0)
                    {
                        var history = History(profile, user);
                        int unusualFailuresHere = recent.Count(r => r.Outcome == LoginOutcome.Failure && r.Unusual);
                        int publicFailures = PublicFailures(e.Database, e.Time);
                        if (!isPrivate && unusualFailuresHere >= options.BruteForceFailures)
                            Report(SuccessfulBruteForce, e, Severity.High,
                                $"{unusualFailuresHere} unusual failed logins from {e.RemoteIp} within {options.BruteForceWindow} before this anomalous success", null, (unusual, history));
                        else if (isPrivate)
                            Report(AnomalousSuccess, e, Severity.Low, "the client address is private", null, (unusual, history));
                        else if (publicFailures >= options.BruteForceFailures)
                            Report(AnomalousSuccess, e, Severity.High, $"after a pattern of {publicFailures} failed logins from public addresses", null, (unusual, history));
                        else
                            Report(AnomalousSuccess, e, Severity.Medium, "the client address is public", null, (unusual, history));
                    }
                }
                Learn(profile, e, user, network, asn);
                recent.Enqueue((e.Time, e.Outcome, false));
                break;
            }
            case LoginOutcome.Failure:
            {
                profile.FailedLogins++;
                if (list is not null) Report(MaliciousFailure, e, Severity.Medium, null, list, null);
                if (tor) Report(TorFailure, e, Severity.Medium, null, "tor-exit", null);
                var unusual = UnusualFailure(profile, user, network, asn);
                if (!learning && unusual.Count > 0)
                    Report(AnomalousFailure, e, Severity.Low, null, null, (unusual, History(profile, user)));
                recent.Enqueue((e.Time, e.Outcome, unusual.Count > 0));
                break;
            }
            default:
                profile.IncompleteConnections++;
                if (list is not null) Report(MaliciousProbe, e, Severity.Medium, null, list, null);
                if (tor) Report(TorProbe, e, Severity.Medium, null, "tor-exit", null);
                recent.Enqueue((e.Time, e.Outcome, false));
                break;
        }
    }

    /// <summary>Recent attempts from one source against one database, trimmed to the brute-force window.</summary>
    private Queue<(DateTimeOffset Time, LoginOutcome Outcome, bool Unusual)> Recent(string db, string ip, DateTimeOffset now)
    {
        if (!_recent.TryGetValue((db, ip), out var q)) _recent[(db, ip)] = q = new();
        while (q.TryPeek(out var head) && now - head.Time > options.BruteForceWindow) q.Dequeue();
        return q;
    }

    private int PublicFailures(string db, DateTimeOffset now)
    {
        int n = 0;
        foreach (var ((d, ip), q) in _recent)
        {
            if (d != db || intel.IsPrivate(ip)) continue;
            foreach (var r in q)
                if (r.Outcome == LoginOutcome.Failure && now - r.Time <= options.BruteForceWindow) n++;
        }
        return n;
    }

    /// <summary>The dimensions of a success that the profile has not seen (GuardDuty's "unusual behavior").</summary>
    private static List<KeyValuePair<string, string>> UnusualSuccess(DatabaseProfile p, LoginEvent e, string user, string network, string? asn)
    {
        var unusual = UnusualActor(p, user, network, asn, out var u);
        if (u is null) return unusual;
        if (!string.IsNullOrEmpty(e.Application) && u.Applications.Count > 0 && !u.Applications.ContainsKey(e.Application))
            unusual.Add(new("application", e.Application));
        if (!string.IsNullOrEmpty(e.DatabaseName) && u.DatabaseNames.Count > 0 && !u.DatabaseNames.ContainsKey(e.DatabaseName))
            unusual.Add(new("database", e.DatabaseName));
        return unusual;
    }

    /// <summary>A failure is unusual when it names a user the database never let in, or comes from an unseen source.</summary>
    private static List<KeyValuePair<string, string>> UnusualFailure(DatabaseProfile p, string user, string network, string? asn) =>
        UnusualActor(p, user, network, asn, out _);

    /// <summary>
    /// Who and where from: an unseen user, or a source whose network and (when known) ASN organisation were
    /// both unseen for the user. <paramref name="u"/> is the user's profile when the user is known.
    /// </summary>
    private static List<KeyValuePair<string, string>> UnusualActor(DatabaseProfile p, string user, string network, string? asn, out UserProfile? u)
    {
        var unusual = new List<KeyValuePair<string, string>>();
        if (!p.Users.TryGetValue(user, out u))
        {
            unusual.Add(new("user", user));
            return unusual;
        }
        bool networkSeen = u.Networks.ContainsKey(network);
        bool asnSeen = asn is not null && u.AsnOrgs.ContainsKey(asn);
        if (!networkSeen && !asnSeen)
        {
            unusual.Add(new("network", network));
            if (asn is not null) unusual.Add(new("asnOrg", asn));
        }
        return unusual;
    }

    private static void Learn(DatabaseProfile p, LoginEvent e, string user, string network, string? asn)
    {
        p.SuccessfulLogins++;
        if (!p.Users.TryGetValue(user, out var u)) p.Users[user] = u = new UserProfile();
        DatabaseProfile.Touch(u.Logins, e.Time);
        DatabaseProfile.Add(u.Networks, network, e.Time);
        DatabaseProfile.Add(u.AsnOrgs, asn, e.Time);
        DatabaseProfile.Add(u.Applications, e.Application, e.Time);
        DatabaseProfile.Add(u.DatabaseNames, e.DatabaseName, e.Time);
        DatabaseProfile.Add(u.Ssl, e.Ssl ?? "none", e.Time);
        DatabaseProfile.Add(u.AuthMethods, e.AuthMethod, e.Time);
    }

    private static List<KeyValuePair<string, IReadOnlyList<(string, long, string)>>> History(DatabaseProfile p, string user)
    {
        var now = p.LastSeen;
        IReadOnlyList<(string, long, string)> Top(Dictionary<string, ValueStat> m) =>
            m.OrderByDescending(kv => kv.Value.Count).ThenBy(kv => kv.Key, StringComparer.Ordinal).Take(10)
                .Select(kv => (kv.Key, kv.Value.Count, DatabaseProfile.Classify(kv.Value, p.FirstSeen, now).ToString().ToUpperInvariant())).ToList();
        var h = new List<KeyValuePair<string, IReadOnlyList<(string, long, string)>>>
        {
            new("user", p.Users.OrderByDescending(kv => kv.Value.Logins.Count).ThenBy(kv => kv.Key, StringComparer.Ordinal).Take(10)
                .Select(kv => (kv.Key, kv.Value.Logins.Count, DatabaseProfile.Classify(kv.Value.Logins, p.FirstSeen, now).ToString().ToUpperInvariant())).ToList()),
        };
        if (p.Users.TryGetValue(user, out var u))
        {
            h.Add(new("network", Top(u.Networks)));
            if (u.AsnOrgs.Count > 0) h.Add(new("asnOrg", Top(u.AsnOrgs)));
            if (u.Applications.Count > 0) h.Add(new("application", Top(u.Applications)));
            if (u.DatabaseNames.Count > 0) h.Add(new("database", Top(u.DatabaseNames)));
            h.Add(new("ssl", Top(u.Ssl)));
            if (u.AuthMethods.Count > 0) h.Add(new("authMethod", Top(u.AuthMethods)));
        }
        return h;
    }

    /// <summary>The /24 (IPv4) or /48 (IPv6) an address belongs to: the unit a profile remembers sources by.</summary>
    internal static string Network(string ip)
    {
        if (!IPAddress.TryParse(ip, out var a)) return ip;
        var b = a.GetAddressBytes();
        if (a.AddressFamily == AddressFamily.InterNetwork) return $"{b[0]}.{b[1]}.{b[2]}.0/24";
        for (int i = 6; i < 16; i++) b[i] = 0;
        return new IPAddress(b) + "/48";
    }

    private void Report(string type, LoginEvent e, Severity severity, string? reason, string? threatList,
        (List<KeyValuePair<string, string>> Unusual, List<KeyValuePair<string, IReadOnlyList<(string, long, string)>>> History)? anomaly)
    {
        var key = (type, e.Database, e.User ?? "", e.RemoteIp);
        if (_open.TryGetValue(key, out var a) && e.Time - a.Last.Time <= options.AggregationWindow)
        {
            a.Count++;
            a.Last = e;
            if (a.Lines.Count < 50) a.Lines.Add($"{e.Source}:{e.Line}");
            if (severity > a.Severity) { a.Severity = severity; a.SeverityReason = reason; }
            return;
        }
        if (a is not null) Emit(a);
        a = new Aggregate { Type = type, First = e, Last = e, Count = 1, Severity = severity, SeverityReason = reason, ThreatList = threatList };
        a.Lines.Add($"{e.Source}:{e.Line}");
        if (anomaly is { } an) { a.Unusual = an.Unusual; a.Historical = an.History; }
        // Counters start with what this source did recently, so the finding shows the pattern around it.
        if (_recent.TryGetValue((e.Database, e.RemoteIp), out var q))
            foreach (var r in q)
            {
                if (r.Outcome == LoginOutcome.Success) a.Successes++;
                else if (r.Outcome == LoginOutcome.Failure) a.Failures++;
                else a.Incompletes++;
            }
        Count(a, e);
        _open[key] = a;
        if (!_openBySource.TryGetValue((e.Database, e.RemoteIp), out var bySource)) _openBySource[(e.Database, e.RemoteIp)] = bySource = [];
        bySource.Add(a);
    }

    /// <summary>Emits aggregates that can no longer grow, and forgets idle sources, so memory follows activity, not input size.</summary>
    private void Sweep(DateTimeOffset now)
    {
        _sinceSweep = 0;
        var horizon = now - options.AggregationWindow - options.ReorderWindow;
        foreach (var a in _open.Values.Where(a => a.Last.Time < horizon).ToList()) Emit(a);
        var idle = now - options.BruteForceWindow - options.ReorderWindow;
        foreach (var k in _recent.Where(kv => !kv.Value.TryPeek(out var last) || kv.Value.Last().Time < idle).Select(kv => kv.Key).ToList())
            _recent.Remove(k);
    }

    private static void Count(Aggregate a, LoginEvent e)
    {
        if (e.Outcome == LoginOutcome.Success) a.Successes++;
        else if (e.Outcome == LoginOutcome.Failure) a.Failures++;
        else a.Incompletes++;
    }

    private void Emit(Aggregate a)
    {
        _open.Remove((a.Type, a.First.Database, a.First.User ?? "", a.First.RemoteIp));
        if (_openBySource.TryGetValue((a.First.Database, a.First.RemoteIp), out var bySource))
        {
            bySource.Remove(a);
            if (bySource.Count == 0) _openBySource.Remove((a.First.Database, a.First.RemoteIp));
        }
        var e = a.Last;
        bool isPrivate = intel.IsPrivate(e.RemoteIp);
        var details = new LoginFindingDetails(a.Type, e.Database, e.Cluster, e.Engine, e.User, e.Application, e.DatabaseName, e.Ssl, e.AuthMethod,
            e.RemoteIp, isPrivate, intel.AsnOrg(e.RemoteIp), a.ThreatList, a.Successes, a.Failures, a.Incompletes, a.Count,
            a.First.Time, a.Last.Time, a.Unusual, a.Historical, a.Lines);
        _findings.Add(LoginFindings.ToFinding(details, a.Severity, a.SeverityReason));
    }
}
