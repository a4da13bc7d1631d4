using System.Text.Json;
using Moat.Rules;

namespace Moat.Compile;

/// <summary>
/// A rule ready to run: an immutable matcher tree plus compiled templates, built once at load time.
/// </summary>
public sealed class CompiledRule
{
    internal CompiledRule(RuleDocument document, Node condition, (Severity, Node, string?)[] severityWhen,
        Template? runbook, Template? remediation, Template dedupKey, KeyValuePair<string, Template>[] resource,
        string[]? eventNames, string[]? eventSources, bool hasAliases)
    {
        Document = document;
        Condition = condition;
        SeverityWhen = severityWhen;
        Runbook = runbook;
        Remediation = remediation;
        DedupKey = dedupKey;
        Resource = resource;
        EventNames = eventNames;
        EventSources = eventSources;
        HasAliases = hasAliases;
    }

    public RuleDocument Document { get; }

    /// <summary>The description without the line break a YAML block leaves at its end (computed once, not per finding).</summary>
    internal string Description => _description ??= Document.Description.Trim();

    private string? _description;
    public string Id => Document.Id;

    /// <summary>The eventNames the rule can match, or null when the condition does not pin them.</summary>
    public string[]? EventNames { get; }

    public string[]? EventSources { get; }

    internal Node Condition { get; }
    internal (Severity Severity, Node When, string? Reason)[] SeverityWhen { get; }
    internal Template? Runbook { get; }
    internal Template? Remediation { get; }
    internal Template DedupKey { get; }
    internal KeyValuePair<string, Template>[] Resource { get; }
    internal bool HasAliases { get; }
    internal Template? FindingTitle { get; init; }

    /// <summary>For a rule without eventName keys: texts one of which an event must contain to match (or null).</summary>
    public string[]? Literals { get; init; }

    /// <summary>The field tests of the condition, for the catalog.</summary>
    public IReadOnlyList<Indicator> Indicators()
    {
        var list = new List<Indicator>();
        Condition.Indicators(list, "", false);
        return list;
    }

    /// <summary>Canonical text of the compiled condition.</summary>
    public string DescribeCondition() => Condition.Describe();

    internal bool Matches(JsonElement root) => Condition.Eval(root, root, null);

    /// <summary>Re-evaluates a matching event, this time keeping the items bound with <c>as:</c>.</summary>
    internal Captures Capture(JsonElement root)
    {
        var c = new Captures();
        if (HasAliases) Condition.Eval(root, root, c);
        return c;
    }

    internal (Severity Severity, string? Reason) SeverityFor(JsonElement root)
    {
        foreach (var (s, when, reason) in SeverityWhen)
            if (when.Eval(root, root, null)) return (s, reason);
        return (Document.Severity, null);
    }
}
