using System.Net;
using System.Net.Sockets;
using System.Security.Cryptography;
using System.Text;
using System.Text.Json;
using Moat.Alerts;
using Moat.Rules;

namespace Moat.Emit;

/// <summary>
/// <c>moat alerts list --format ocsf</c>: one OCSF 1.8.0 Detection Finding (class 2004, category 2 Findings) per
/// alert and line. Mapping choices:
/// <list type="bullet">
/// <item><c>activity_id</c> says what the event tells about the finding: Create (1) for an open alert with one
/// match, Update (2) once more matches joined it, Close (3) when an analyst closed it. <c>type_uid</c> is
/// class_uid × 100 + activity_id.</item>
/// <item><c>status_id</c> is the analyst's workflow state: open → New (1), closed → Resolved (4) with the reason in
/// <c>status_detail</c>; Moat's own word is kept in <c>status_code</c>.</item>
/// <item><c>time</c> is the last match's event time; <c>start_time</c>/<c>end_time</c> and
/// <c>finding_info.first_seen_time</c>/<c>last_seen_time</c> span the events observed (for login alerts, from the first
/// to the last log line the matches aggregate); all in milliseconds since the epoch.</item>
/// <item>ATT&amp;CK goes to <c>finding_info.attacks</c> (the top-level <c>attacks</c> needs the security_control
/// profile); who did what from where goes to <c>evidences[]</c> (<c>actor</c>, <c>api</c>, <c>src_endpoint</c>, for
/// logins <c>database</c>), because the class has no top-level <c>src_endpoint</c> and its top-level <c>actor</c>
/// belongs to the host profile.</item>
/// <item><c>cloud</c> (provider AWS, account, region) is written when the alert names an account or Region, with
/// the cloud profile listed in <c>metadata.profiles</c> as the schema requires.</item>
/// </list>
/// The output is deterministic: the same alert in the same state gives the same bytes, <c>metadata.uid</c> included.
/// </summary>
public sealed class OcsfAlertWriter(Stream output, AlertExportOptions? options = null) : IAlertWriter
{
    /// <summary>The OCSF version the events claim: the schema Moat's output is validated against.</summary>
    public const string SchemaVersion = "1.8.0";

    public const int CategoryUid = 2;
    public const int ClassUid = 2004;

    /// <summary>Evidence objects per alert: enough to show who and from where; the count and related events say how many there were.</summary>
    public const int MaxEvidences = 10;

    /// <summary>Related events (match event ids) per alert; <c>related_events_count</c> carries the full number.</summary>
    public const int MaxRelatedEvents = 100;

    private readonly AlertLines _lines = new(output);
    private readonly string _version = (options ?? new AlertExportOptions()).Version;

    public IReadOnlyList<SkippedAlert> Skipped => _lines.Skipped;

    public bool Write(Alert alert) => _lines.Write(alert, Render);

    public static int SeverityId(Severity s) => s switch
    {
        Severity.Info => 1,
        Severity.Low => 2,
        Severity.Medium => 3,
        Severity.High => 4,
        _ => 5,
    };

    private static string SeverityCaption(int id) => id switch
    {
        1 => "Informational",
        2 => "Low",
        3 => "Medium",
        4 => "High",
        _ => "Critical",
    };

    public static (int Id, string Name) Activity(Alert a) =>
        a.Status == "closed" ? (3, "Close") : a.Count > 1 ? (2, "Update") : (1, "Create");

    /// <summary>Finding status: open → New, closed → Resolved; a status Moat does not know is Other (99) with its own name.</summary>
    public static (int Id, string Name) Status(string status) => status switch
    {
        "open" => (1, "New"),
        "closed" => (4, "Resolved"),
        _ => (99, status),
    };

    private void Render(Utf8JsonWriter w, AlertFacts x)
    {
        var a = x.Alert;
        var f = x.First;
        var (activityId, activityName) = Activity(a);
        var (statusId, statusName) = Status(a.Status);
        var severityId = SeverityId(a.Severity);
        bool cloud = x.Account is not null || x.Region is not null;

        w.WriteStartObject();
        w.WriteNumber("activity_id", activityId);
        w.WriteString("activity_name", activityName);
        w.WriteNumber("category_uid", CategoryUid);
        w.WriteString("category_name", "Findings");
        w.WriteNumber("class_uid", ClassUid);
        w.WriteString("class_name", "Detection Finding");
        w.WriteNumber("type_uid", ClassUid * 100L + activityId);
        w.WriteString("type_name", "Detection Finding: " + activityName);
        w.WriteNumber("severity_id", severityId);
        w.WriteString("severity", SeverityCaption(severityId));
        w.WriteNumber("status_id", statusId);
        w.WriteString("status", statusName);
        w.WriteString("status_code", a.Status);
        if (a.StatusReason is { Length: > 0 } reason) w.WriteString("status_detail", reason);
        w.WriteNumber("time", Ms(a.LastSeen));
        w.WriteNumber("start_time", Ms(x.ObservedFrom));
        w.WriteNumber("end_time", Ms(x.ObservedTo));
        // count is an OCSF integer (32-bit); an alert never gets near that, but the cast must not wrap.
        w.WriteNumber("count", (int)Math.Min(a.Count, int.MaxValue));
        w.WriteString("message", a.Title);
        w.WriteBoolean("is_alert", true);

        w.WriteStartObject("metadata");
        w.WriteString("version", SchemaVersion);
        if (cloud)
        {
            w.WriteStartArray("profiles");
            w.WriteStringValue("cloud");
            w.WriteEndArray();
        }
        w.WriteStartObject("product");
        w.WriteString("name", "Moat");
        w.WriteString("vendor_name", "Moat");
        w.WriteString("version", _version);
        w.WriteEndObject();
        w.WriteString("uid", EventUid(a));
        // The dedup key ties together the alerts of one rule and subject across periods.
        w.WriteString("correlation_uid", a.DedupKey);
        w.WriteString("log_name", LogName(x));
        w.WriteEndObject();

        if (cloud)
        {
            w.WriteStartObject("cloud");
            w.WriteString("provider", "AWS");
            if (x.Region is { } region) w.WriteString("region", region);
            if (x.Account is { } account)
            {
                w.WriteStartObject("account");
                w.WriteString("uid", account);
                w.WriteNumber("type_id", 10);
                w.WriteString("type", "AWS Account");
                w.WriteEndObject();
            }
            w.WriteEndObject();
        }

        FindingInfo(w, x);

        if (x.ResourceId is { } resourceId)
        {
            w.WriteStartArray("resources");
            w.WriteStartObject();
            w.WriteString("uid", resourceId);
            if (x.Resource("id") is { } name && name != resourceId) w.WriteString("name", name);
            if (x.ResourceType is { } type) w.WriteString("type", type);
            w.WriteNumber("role_id", 1);
            w.WriteString("role", "Target");
            if (cloud)
            {
                if (x.Region is { } region) w.WriteString("region", region);
                w.WriteString("cloud_partition", x.Partition);
            }
            var extra = f.Resource.Where(r => r.Key is not ("type" or "id" or "arn")).ToList();
            if (extra.Count > 0)
            {
                w.WriteStartObject("data");
                foreach (var (k, v) in extra)
                {
                    if (v.Count == 1) w.WriteString(k, v[0]);
                    else
                    {
                        w.WriteStartArray(k);
                        foreach (var s in v) w.WriteStringValue(s);
                        w.WriteEndArray();
                    }
                }
                w.WriteEndObject();
            }
            w.WriteEndObject();
            w.WriteEndArray();
        }

        Evidences(w, x);

        var remediation = f.Remediation.Length > 0 ? f.Remediation : f.Runbook;
        if (remediation.Length > 0)
        {
            w.WriteStartObject("remediation");
            w.WriteString("desc", remediation);
            if (f.References.Count > 0)
            {
                w.WriteStartArray("references");
                foreach (var r in f.References) w.WriteStringValue(r);
                w.WriteEndArray();
            }
            w.WriteEndObject();
        }

        // What OCSF has no attribute for, kept so nothing of the alert is lost.
        w.WriteStartObject("unmapped");
        w.WriteString("rule_kind", f.RuleKind);
        w.WriteString("dedup_key", a.DedupKey);
        if (f.SeverityReason is not null) w.WriteString("severity_reason", f.SeverityReason);
        if (f.Runbook.Length > 0) w.WriteString("runbook", f.Runbook);
        if (f.Tags.Count > 0)
        {
            w.WriteStartArray("tags");
            foreach (var t in f.Tags) w.WriteStringValue(t);
            w.WriteEndArray();
        }
        if (f.FalsePositives.Count > 0)
        {
            w.WriteStartArray("false_positives");
            foreach (var fp in f.FalsePositives) w.WriteStringValue(fp);
            w.WriteEndArray();
        }
        if (f.Author is not null) w.WriteString("author", f.Author);
        w.WriteEndObject();
        w.WriteEndObject();
    }

    private static void FindingInfo(Utf8JsonWriter w, AlertFacts x)
    {
        var a = x.Alert;
        var f = x.First;
        w.WriteStartObject("finding_info");
        w.WriteString("uid", a.Id);
        w.WriteString("title", a.Title);
        if (f.Description.Length > 0) w.WriteString("desc", f.Description);
        w.WriteStartArray("types");
        foreach (var t in AttackTaxonomy.FindingTypes(f)) w.WriteStringValue(t);
        w.WriteEndArray();
        w.WriteNumber("created_time", Ms(a.FirstSeen));
        w.WriteNumber("modified_time", Ms(a.LastSeen));
        w.WriteNumber("first_seen_time", Ms(x.ObservedFrom));
        w.WriteNumber("last_seen_time", Ms(x.ObservedTo));
        w.WriteStartArray("data_sources");
        w.WriteStringValue(LogName(x));
        w.WriteEndArray();

        w.WriteStartObject("analytic");
        w.WriteString("uid", a.RuleId);
        w.WriteString("name", a.Title);
        // Login anomalies compare a login with the database's learnt profile; everything else is a rule.
        var (typeId, type) = x.IsLogin && a.RuleId.Contains("AnomalousBehavior", StringComparison.Ordinal) ? (3, "Statistical") : (1, "Rule");
        w.WriteNumber("type_id", typeId);
        w.WriteString("type", type);
        w.WriteEndObject();

        var attacks = f.Mitre.Where(m => m.Tactic is not null || m.Technique is not null).Distinct().ToList();
        if (attacks.Count > 0)
        {
            w.WriteStartArray("attacks");
            foreach (var m in attacks)
            {
                w.WriteStartObject();
                if (m.Tactic is { } tactic)
                {
                    w.WriteStartObject("tactic");
                    w.WriteString("uid", tactic);
                    if (AttackTaxonomy.TacticName(tactic) is { } name) w.WriteString("name", name);
                    w.WriteEndObject();
                }
                if (m.Technique is { } technique)
                {
                    // T1562.007 is sub-technique 007 of T1562: OCSF keeps the two apart.
                    int dot = technique.IndexOf('.');
                    w.WriteStartObject("technique");
                    w.WriteString("uid", dot > 0 ? technique[..dot] : technique);
                    w.WriteEndObject();
                    if (dot > 0)
                    {
                        w.WriteStartObject("sub_technique");
                        w.WriteString("uid", technique);
                        w.WriteEndObject();
                    }
                }
                w.WriteEndObject();
            }
            w.WriteEndArray();
        }

        w.WriteStartArray("related_events");
        for (int i = 0; i < x.Matches.Count && i < MaxRelatedEvents; i++)
        {
            var m = x.Matches[i];
            w.WriteStartObject();
            w.WriteString("uid", m.EventId);
            if (m.EventName is { } name) w.WriteString("type", name);
            var (from, to) = i < x.Logins.Count ? (x.Logins[i].FirstSeen, x.Logins[i].LastSeen) : (m.Time, m.Time);
            w.WriteNumber("first_seen_time", Ms(from));
            w.WriteNumber("last_seen_time", Ms(to));
            w.WriteEndObject();
        }
        w.WriteEndArray();
        w.WriteNumber("related_events_count", (int)Math.Min(a.Matches.Count, int.MaxValue));
        w.WriteEndObject();
    }

    private static void Evidences(Utf8JsonWriter w, AlertFacts x)
    {
        w.WriteStartArray("evidences");
        for (int i = 0; i < x.Matches.Count && i < MaxEvidences; i++)
        {
            var m = x.Matches[i];
            var login = i < x.Logins.Count ? x.Logins[i] : null;
            // The schema asks each evidence for at least one artefact; a match with nothing to show is left out.
            if (login is null && m.Principal is null && m.EventName is null && m.SourceIp is null) continue;
            w.WriteStartObject();
            w.WriteString("uid", m.EventId);
            var who = login is not null ? login.User : m.Principal;
            if (who is { Length: > 0 })
            {
                w.WriteStartObject("actor");
                User(w, who);
                w.WriteEndObject();
            }
            if (login is not null)
            {
                w.WriteStartObject("database");
                w.WriteString("name", login.DatabaseName ?? login.Database);
                w.WriteString("uid", login.Database);
                w.WriteNumber("type_id", 1);
                w.WriteString("type", "Relational");
                w.WriteEndObject();
            }
            else if (m.EventName is { } operation)
            {
                w.WriteStartObject("api");
                w.WriteString("operation", operation);
                if (m.EventSource is { } service)
                {
                    w.WriteStartObject("service");
                    w.WriteString("name", service);
                    w.WriteEndObject();
                }
                w.WriteEndObject();
            }
            if ((login?.RemoteIp ?? m.SourceIp) is { Length: > 0 } source) Endpoint(w, source);
            if (login is null && m.UserAgent is { Length: > 0 } agent)
            {
                w.WriteStartObject("http_request");
                w.WriteString("user_agent", agent);
                w.WriteEndObject();
            }
            w.WriteEndObject();
        }
        w.WriteEndArray();
    }

    /// <summary>An IAM ARN is the user's uid, its last path part the name; anything else (a service, a database user) is a name.</summary>
    private static void User(Utf8JsonWriter w, string principal)
    {
        w.WriteStartObject("user");
        if (principal.StartsWith("arn:", StringComparison.Ordinal))
        {
            w.WriteString("uid", principal);
            var slash = principal.LastIndexOf('/');
            var colon = principal.LastIndexOf(':');
            w.WriteString("name", principal[(Math.Max(slash, colon) + 1)..]);
        }
        else w.WriteString("name", principal);
        w.WriteEndObject();
    }

    /// <summary>
    /// CloudTrail's sourceIPAddress is an address, an AWS service calling on someone's behalf
    /// (<c>ec2.amazonaws.com</c>) or <c>AWS Internal</c>: only an address goes to <c>ip</c>, whose type is checked.
    /// </summary>
    private static void Endpoint(Utf8JsonWriter w, string source)
    {
        w.WriteStartObject("src_endpoint");
        if (IsAddress(source)) w.WriteString("ip", source);
        else if (source.EndsWith(".amazonaws.com", StringComparison.OrdinalIgnoreCase)) w.WriteString("svc_name", source);
        else w.WriteString("name", source);
        w.WriteEndObject();
    }

    // IPAddress.TryParse also takes "1" or "1.2" (as 0.0.0.1, 1.0.0.2); an IPv4 text counts only when it is
    // written the canonical way.
    private static bool IsAddress(string s) =>
        IPAddress.TryParse(s, out var ip) && (ip.AddressFamily == AddressFamily.InterNetworkV6 ? s.Contains(':') : ip.ToString() == s);

    private static string LogName(AlertFacts x) => x.IsLogin ? (x.First.EventSource is { Length: > 0 } engine ? engine + " log" : "database log") : "CloudTrail";

    /// <summary>A stable id for this event: it changes whenever what the event says about the alert changes.</summary>
    private static string EventUid(Alert a) =>
        Convert.ToHexStringLower(SHA256.HashData(Encoding.UTF8.GetBytes($"{a.Id}\u001f{a.Count}\u001f{a.LastSeen:O}\u001f{a.Status}\u001f{a.StatusReason}")).AsSpan(0, 16));

    private static long Ms(DateTimeOffset t) => t.ToUnixTimeMilliseconds();

    public void Dispose() => _lines.Dispose();
}
