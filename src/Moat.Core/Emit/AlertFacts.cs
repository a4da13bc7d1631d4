using System.Globalization;
using Moat.Alerts;
using Moat.Logins;

namespace Moat.Emit;

/// <summary>One match of an alert, as the writers list it: its event and who did what from where.</summary>
internal readonly record struct MatchFacts(
    string EventId, DateTimeOffset Time, string? EventName, string? EventSource, string? Principal, string? SourceIp, string? UserAgent);

/// <summary>
/// What every alert format derives from an alert: its first match's finding (rule text, resource, MITRE), the
/// events of all matches, and the span the matches observed. Computed once per alert and shared by the writers
/// so the formats agree on every value they have in common.
/// </summary>
internal sealed class AlertFacts
{
    private AlertFacts(Alert alert, Finding first, IReadOnlyList<MatchFacts> matches, IReadOnlyList<LoginFindingDetails> logins)
    {
        Alert = alert;
        First = first;
        Matches = matches;
        Logins = logins;
        // A login match aggregates several log lines and is stored at its last line's time: the span the alert
        // covers starts at the earliest line of any of its matches, not at the first match's time.
        ObservedFrom = logins.Count > 0 ? Min(alert.FirstSeen, logins.Min(l => l.FirstSeen)) : alert.FirstSeen;
        ObservedTo = logins.Count > 0 ? Max(alert.LastSeen, logins.Max(l => l.LastSeen)) : alert.LastSeen;
    }

    public Alert Alert { get; }

    /// <summary>The first match's finding: the rule's description, runbook, remediation, resource and MITRE references.</summary>
    public Finding First { get; }

    public IReadOnlyList<MatchFacts> Matches { get; }

    /// <summary>For login alerts, every match's login details (database, counts, unusual and historical values).</summary>
    public IReadOnlyList<LoginFindingDetails> Logins { get; }

    public DateTimeOffset ObservedFrom { get; }

    public DateTimeOffset ObservedTo { get; }

    /// <summary>Moat keeps two statuses, <c>open</c> and <c>closed</c>; anything else is treated as open.</summary>
    public bool Closed => Alert.Status == "closed";

    public string? Account => Alert.Account ?? First.AccountId;

    public string? Region => First.Region;

    public bool IsLogin => First.RuleKind == "login";

    /// <summary>The alert's facts, or the reason an alert cannot be rendered (no matches, or an unreadable stored finding).</summary>
    public static AlertFacts? TryOf(Alert alert, out string? error)
    {
        error = null;
        if (alert.Matches.Count == 0) { error = "the alert has no matches"; return null; }
        try
        {
            var first = FindingJsonReader.Read(alert.Matches[0].FindingJson);
            var matches = new List<MatchFacts>(alert.Matches.Count);
            var logins = new List<LoginFindingDetails>();
            foreach (var m in alert.Matches)
            {
                var h = FindingJsonReader.Header(m.FindingJson);
                string? Get(string k) => h.TryGetValue(k, out var v) ? v : null;
                matches.Add(new MatchFacts(Get("eventId") ?? m.EventKey, m.Time, Get("eventName"), Get("eventSource"),
                    Get("principal") ?? m.Principal, Get("sourceIp"), Get("userAgent")));
                // Login alerts group few matches (one per aggregated finding), so reading each in full is cheap.
                if (first.RuleKind == "login" && (ReferenceEquals(m, alert.Matches[0]) ? first : FindingJsonReader.Read(m.FindingJson)).Login is { } login)
                    logins.Add(login);
            }
            return new AlertFacts(alert, first, matches, logins);
        }
        catch (Exception e) when (e is System.Text.Json.JsonException or InvalidOperationException)
        {
            error = $"a stored finding of the alert is not readable JSON: {e.Message}";
            return null;
        }
    }

    /// <summary>The resource's first value for a key (<c>type</c>, <c>id</c>, <c>arn</c>…).</summary>
    public string? Resource(string key) =>
        First.Resource.FirstOrDefault(r => r.Key == key).Value is { Count: > 0 } v && v[0].Length > 0 ? v[0] : null;

    /// <summary>
    /// The resource's type as CloudFormation names it (<c>AWS::EC2::SecurityGroup</c>), which the rules write;
    /// login findings name it as GuardDuty does (<c>RDSDBInstance</c>), mapped here to the same convention.
    /// </summary>
    public string? ResourceType => Resource("type") switch
    {
        "RDSDBInstance" => "AWS::RDS::DBInstance",
        var t => t,
    };

    /// <summary>The resource's canonical id: its ARN when the rule gives one, else its id.</summary>
    public string? ResourceId => Resource("arn") ?? Resource("id");

    /// <summary>aws, aws-cn or aws-us-gov: from the resource's ARN when there is one, else from the Region's name.</summary>
    public string Partition
    {
        get
        {
            if (ResourceId is { } arn && arn.StartsWith("arn:", StringComparison.Ordinal) && arn.IndexOf(':', 4) is > 4 and var end)
                return arn[4..end];
            return Region switch
            {
                { } r when r.StartsWith("cn-", StringComparison.Ordinal) => "aws-cn",
                { } r when r.StartsWith("us-gov-", StringComparison.Ordinal) => "aws-us-gov",
                _ => "aws",
            };
        }
    }

    /// <summary>ISO 8601 in UTC with milliseconds, as ASFF and GuardDuty write times.</summary>
    public static string Iso(DateTimeOffset t) => t.UtcDateTime.ToString("yyyy-MM-ddTHH:mm:ss.fffZ", CultureInfo.InvariantCulture);

    /// <summary>Cuts text to a field's limit, ending with an ellipsis when it was cut.</summary>
    public static string Cut(string text, int max)
    {
        if (text.Length <= max) return text;
        int n = max - 1;
        // Never split a surrogate pair: half a character is not valid UTF-16 and breaks JSON consumers.
        if (char.IsHighSurrogate(text[n - 1])) n--;
        return text[..n] + "…";
    }

    private static DateTimeOffset Min(DateTimeOffset a, DateTimeOffset b) => a < b ? a : b;

    private static DateTimeOffset Max(DateTimeOffset a, DateTimeOffset b) => a > b ? a : b;
}

/// <summary>MITRE ATT&amp;CK enterprise tactics by id, and the finding types Security Hub and OCSF consumers filter on.</summary>
internal static class AttackTaxonomy
{
    private static readonly Dictionary<string, string> TacticNames = new(StringComparer.OrdinalIgnoreCase)
    {
        ["TA0043"] = "Reconnaissance", ["TA0042"] = "Resource Development", ["TA0001"] = "Initial Access", ["TA0002"] = "Execution",
        ["TA0003"] = "Persistence", ["TA0004"] = "Privilege Escalation", ["TA0005"] = "Defense Evasion", ["TA0006"] = "Credential Access",
        ["TA0007"] = "Discovery", ["TA0008"] = "Lateral Movement", ["TA0009"] = "Collection", ["TA0011"] = "Command and Control",
        ["TA0010"] = "Exfiltration", ["TA0040"] = "Impact",
    };

    public static string? TacticName(string? id) => id is not null && TacticNames.TryGetValue(id, out var n) ? n : null;

    /// <summary>
    /// The tactic as an ASFF type path. The TTPs namespace has ten categories, named as the tactics are; ASFF puts
    /// exfiltration and impact under Effects (Impact has no single Effects category, so the namespace alone), and
    /// has no category for reconnaissance or resource development (the namespace alone, a valid partial path).
    /// </summary>
    private static string TypePath(string? tactic) => tactic?.ToUpperInvariant() switch
    {
        "TA0010" => "Effects/Data Exfiltration",
        "TA0040" => "Effects",
        "TA0001" or "TA0002" or "TA0003" or "TA0004" or "TA0005" or "TA0006" or "TA0007" or "TA0008" or "TA0009" or "TA0011" => "TTPs/" + TacticNames[tactic!],
        _ => "TTPs",
    };

    /// <summary>
    /// ASFF <c>Types</c> (namespace/category/classifier), also used as OCSF <c>finding_info.types</c>. One per distinct
    /// tactic with the rule id as classifier, the way GuardDuty's findings arrive in Security Hub
    /// (<c>TTPs/Credential Access/CredentialAccess:RDS-AnomalousBehavior.SuccessfulLogin</c>: "/" in the id becomes "-").
    /// Anomaly-based login findings are also Unusual Behaviors/Database; CIS-tagged rules also name the benchmark.
    /// </summary>
    public static IReadOnlyList<string> FindingTypes(Finding f)
    {
        var classifier = f.RuleId.Replace('/', '-');
        var types = new List<string>();
        void Add(string t) { if (!types.Contains(t) && types.Count < 50) types.Add(t); }
        foreach (var m in f.Mitre) Add(TypePath(m.Tactic) + "/" + classifier);
        if (f.Mitre.Count == 0) Add("TTPs/" + classifier);
        if (f.RuleKind == "login" && f.RuleId.Contains("AnomalousBehavior", StringComparison.Ordinal)) Add("Unusual Behaviors/Database/" + classifier);
        if (f.Tags.Any(t => t.StartsWith("cis-aws-foundations", StringComparison.OrdinalIgnoreCase)))
            Add("Software and Configuration Checks/Industry and Regulatory Standards/CIS AWS Foundations Benchmark");
        return types;
    }
}
