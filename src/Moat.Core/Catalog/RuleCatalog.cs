using Moat.Compile;
using Moat.Rules;

namespace Moat.Catalog;

/// <summary>One rule as the catalog presents it, with what is derived from its compiled form.</summary>
public sealed record CatalogEntry(
    CompiledRule Rule,
    string Source,
    IReadOnlyList<string> Services,
    IReadOnlyList<string> EventNames,
    IReadOnlyList<Indicator> Indicators,
    IReadOnlyList<string> OutputFields,
    IReadOnlyList<string> RelatedRules)
{
    public RuleDocument Doc => Rule.Document;
    public string Id => Rule.Id;
    public int MatchingTests => Doc.Tests.Count(t => t.Match);
    public int NonMatchingTests => Doc.Tests.Count(t => !t.Match);

    /// <summary>What the rule's outcome means, in words, for every view of the catalog.</summary>
    public string OutcomeText => Doc.Outcome switch
    {
        "success" => "successful calls only: failed calls changed nothing and are not findings",
        "attempts" => "attempts count too, failed or not",
        _ => "not stated by the rule",
    };
}

/// <summary>
/// The browsable view of a rule set: built-in and custom rules alike, each with its indicators, output fields
/// and the other rules that watch the same API calls. Plain data for the text, Markdown and HTML renderers.
/// </summary>
public sealed class RuleCatalog
{
    public IReadOnlyList<CatalogEntry> Entries { get; }

    private RuleCatalog(IReadOnlyList<CatalogEntry> entries) => Entries = entries;

    public static RuleCatalog Build(IReadOnlyList<CompiledRule> rules)
    {
        var byName = new Dictionary<string, List<string>>(StringComparer.Ordinal);
        foreach (var r in rules)
            foreach (var n in r.EventNames ?? [])
            {
                if (!byName.TryGetValue(n, out var l)) byName[n] = l = [];
                l.Add(r.Id);
            }
        var entries = new List<CatalogEntry>();
        foreach (var r in rules.OrderBy(r => r.Id, StringComparer.Ordinal))
        {
            var file = r.Document.Span.File;
            var source = file.StartsWith("builtin:", StringComparison.Ordinal) ? "builtin" : file;
            var services = (r.EventSources ?? []).Select(s => s.Split('.')[0]).Distinct().Order(StringComparer.Ordinal).ToList();
            if (services.Count == 0)
            {
                // No eventSource pinned: fall back to the id's service part (AWS.RDS.X → rds).
                var parts = r.Id.Split('.');
                if (parts.Length >= 3) services.Add(parts[1].ToLowerInvariant());
            }
            var related = (r.EventNames ?? []).SelectMany(n => byName[n]).Where(id => id != r.Id).Distinct().Order(StringComparer.Ordinal).ToList();
            var output = new List<string> { "ruleId", "title", "severity", "eventId", "eventTime", "eventName", "accountId", "region", "principal", "sourceIp", "userAgent" };
            output.AddRange(r.Document.Resource.Select(kv => "resource." + kv.Key));
            output.AddRange(r.Document.Summary.Select(s => "summary." + s));
            if (r.Remediation is not null) output.Add("remediation");
            if (r.Runbook is not null) output.Add("runbook");
            output.Add("dedupKey");
            entries.Add(new CatalogEntry(r, source, services, r.EventNames ?? [], r.Indicators(), output, related));
        }
        return new RuleCatalog(entries);
    }

    /// <summary>Entries that pass every given filter (null = no filter). Tactic matches an id (TA0005) or a name.</summary>
    public IEnumerable<CatalogEntry> Filter(string? tag, string? service, string? tactic, Severity? severity) =>
        Entries.Where(e =>
            (tag is null || e.Doc.Tags.Any(t => t.Equals(tag, StringComparison.OrdinalIgnoreCase) || t.StartsWith(tag + ":", StringComparison.OrdinalIgnoreCase)))
            && (service is null || e.Services.Any(s => s.Equals(service, StringComparison.OrdinalIgnoreCase)))
            && (tactic is null || e.Doc.Mitre.Any(m => m.Tactic is { } t && (t.Equals(tactic, StringComparison.OrdinalIgnoreCase)
                || Mitre.TacticName(t).Equals(tactic, StringComparison.OrdinalIgnoreCase) || Mitre.TacticShortName(t).Equals(tactic, StringComparison.OrdinalIgnoreCase))))
            && (severity is null || e.Doc.Severity == severity || e.Rule.SeverityWhen.Any(s => s.Severity == severity)));
}

/// <summary>MITRE ATT&amp;CK Enterprise tactics: ids, names and the short names the Navigator uses.</summary>
public static class Mitre
{
    public static readonly IReadOnlyList<(string Id, string Name, string Short)> Tactics =
    [
        ("TA0043", "Reconnaissance", "reconnaissance"),
        ("TA0042", "Resource Development", "resource-development"),
        ("TA0001", "Initial Access", "initial-access"),
        ("TA0002", "Execution", "execution"),
        ("TA0003", "Persistence", "persistence"),
        ("TA0004", "Privilege Escalation", "privilege-escalation"),
        ("TA0005", "Defense Evasion", "defense-evasion"),
        ("TA0006", "Credential Access", "credential-access"),
        ("TA0007", "Discovery", "discovery"),
        ("TA0008", "Lateral Movement", "lateral-movement"),
        ("TA0009", "Collection", "collection"),
        ("TA0011", "Command and Control", "command-and-control"),
        ("TA0010", "Exfiltration", "exfiltration"),
        ("TA0040", "Impact", "impact"),
    ];

    public static string TacticName(string id) => Tactics.FirstOrDefault(t => t.Id == id).Name ?? id;

    public static string TacticShortName(string id) => Tactics.FirstOrDefault(t => t.Id == id).Short ?? id.ToLowerInvariant();

    public static string TechniqueUrl(string technique) => "https://attack.mitre.org/techniques/" + technique.Replace('.', '/') + "/";

    public static string TacticUrl(string tactic) => "https://attack.mitre.org/tactics/" + tactic + "/";
}
