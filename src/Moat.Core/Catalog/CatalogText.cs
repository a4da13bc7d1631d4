using System.Text;
using Moat.Rules;

namespace Moat.Catalog;

/// <summary>`moat rules show`: a rule as an analyst reads it, in plain text.</summary>
public static class CatalogText
{
    public static string Show(CatalogEntry e)
    {
        var d = e.Doc;
        var sb = new StringBuilder();
        sb.AppendLine($"{d.Id}  [{d.Severity.Name()}]  ({e.Source})");
        sb.AppendLine(d.Title);
        sb.AppendLine();
        Section(sb, "Goal", d.Description);
        if (d.Strategy is { } strategy) Section(sb, "Strategy", strategy);
        var sev = new StringBuilder($"{d.Severity.Name()}" + (d.SeverityReason is { } r ? $": {r}" : ""));
        foreach (var (s, _, reason) in e.Rule.SeverityWhen) sev.Append($"\n{s.Name()} when {reason ?? "its condition holds"}");
        Section(sb, "Severity", sev.ToString());
        Section(sb, "Outcome", e.OutcomeText);
        Section(sb, "API calls watched", (e.Services.Count == 0 ? "any service" : string.Join(", ", e.Services.Select(s => s + ".amazonaws.com"))) + ": " + (e.EventNames.Count == 0 ? "(every event)" : string.Join(", ", e.EventNames)));
        if (d.Mitre.Count > 0)
        {
            sb.AppendLine("MITRE ATT&CK");
            foreach (var m in d.Mitre)
                sb.AppendLine($"  {m.Tactic ?? "",-7} {(m.Tactic is null ? "" : Mitre.TacticName(m.Tactic)),-22} {m.Technique ?? ""}");
            sb.AppendLine();
        }
        sb.AppendLine("Indicators");
        foreach (var i in e.Indicators)
            sb.AppendLine($"  {(i.Negated ? "NOT " : "")}{i.Field}: {i.Test}{(i.Scope is null ? "" : $"   [{i.Scope}]")}");
        sb.AppendLine();
        Section(sb, "Output fields", string.Join(", ", e.OutputFields));
        if (d.Runbook is { } rb) Section(sb, "Triage and response", rb.Text);
        if (d.Remediation is { } rem) Section(sb, "Remediation", rem.Text);
        if (d.FalsePositives.Count > 0) Section(sb, "False positives", string.Join("\n", d.FalsePositives.Select(f => "- " + f)));
        Section(sb, "Other rules watching the same API calls", e.RelatedRules.Count == 0 ? "none" : string.Join("\n", e.RelatedRules));
        sb.AppendLine($"Tests ({e.MatchingTests} matching, {e.NonMatchingTests} not)");
        foreach (var t in d.Tests) sb.AppendLine($"  [{(t.Match ? "match" : "no match")}] {t.Name}");
        sb.AppendLine();
        if (d.References.Count > 0) Section(sb, "References", string.Join("\n", d.References));
        if (d.Changelog.Count > 0) Section(sb, "Changelog", string.Join("\n", d.Changelog.Select(c => $"{c.Date}  {c.Change}")));
        if (d.Tags.Count > 0) Section(sb, "Tags", string.Join(", ", d.Tags));
        sb.AppendLine("Compiled condition");
        sb.AppendLine("  " + e.Rule.DescribeCondition());
        return sb.ToString();
    }

    private static void Section(StringBuilder sb, string title, string body)
    {
        sb.AppendLine(title);
        foreach (var line in body.Trim().Split('\n')) sb.AppendLine("  " + line.TrimEnd());
        sb.AppendLine();
    }
}
