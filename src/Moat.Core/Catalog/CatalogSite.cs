using System.Net;
using System.Text;
using System.Text.Json;
using Moat.Rules;

namespace Moat.Catalog;

/// <summary>
/// `moat rules docs`: a static site, readable offline (no scripts, no external assets), with one page per rule
/// in HTML and Markdown, an index, and a MITRE ATT&amp;CK coverage matrix. Every text is escaped: custom rule
/// folders are input like any other.
/// </summary>
public static class CatalogSite
{
    private const string Css = """
        body{font-family:system-ui,-apple-system,Segoe UI,sans-serif;max-width:72rem;margin:2rem auto;padding:0 1rem;color:#1d2430;line-height:1.45}
        a{color:#0b5cad}table{border-collapse:collapse;width:100%;margin:.5rem 0 1.2rem}th,td{border:1px solid #d5dbe3;padding:.3rem .5rem;text-align:left;vertical-align:top}
        th{background:#f1f4f8}code,pre{font-family:ui-monospace,Menlo,Consolas,monospace;font-size:.9em}pre{background:#f6f8fa;padding:.7rem;overflow-x:auto;white-space:pre-wrap}
        .sev{font-weight:600;padding:.05rem .4rem;border-radius:.3rem;color:#fff}.critical{background:#8b0000}.high{background:#c0392b}.medium{background:#d68910}.low{background:#2874a6}.info{background:#7f8c8d}
        .matrix td{min-width:9rem}.muted{color:#5d6b7a}nav{margin-bottom:1rem}
        """;

    public static IReadOnlyList<string> Write(RuleCatalog catalog, string outDir)
    {
        var written = new List<string>();
        Directory.CreateDirectory(Path.Combine(outDir, "rules"));
        void Save(string rel, string text)
        {
            var p = Path.Combine(outDir, rel);
            File.WriteAllText(p, text, new UTF8Encoding(false));
            written.Add(p);
        }
        Save("index.html", Page("Moat rule catalog", IndexHtml(catalog), ""));
        Save("index.md", IndexMarkdown(catalog));
        Save("attack.html", Page("MITRE ATT&CK coverage", MatrixHtml(catalog), ""));
        Save("attack.md", MatrixMarkdown(catalog));
        foreach (var e in catalog.Entries)
        {
            Save(Path.Combine("rules", FileName(e.Id) + ".html"), Page(e.Id, RuleHtml(e), "../"));
            Save(Path.Combine("rules", FileName(e.Id) + ".md"), RuleMarkdown(e));
        }
        Save("navigator-layer.json", NavigatorLayer(catalog));
        return written;
    }

    /// <summary>Rule ids are letters, digits and . _ - : — only ':' needs replacing in a file name.</summary>
    public static string FileName(string id) => id.Replace(':', '_');

    private static string H(string? s) => WebUtility.HtmlEncode(s ?? "");

    private static string Sev(Severity s) => $"<span class=\"sev {s.Name()}\">{s.Name()}</span>";

    private static string Page(string title, string body, string root) => $"""
        <!doctype html>
        <html lang="en"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width,initial-scale=1">
        <title>{H(title)}</title><style>{Css}</style></head>
        <body><nav><a href="{root}index.html">Rules</a> · <a href="{root}attack.html">ATT&amp;CK coverage</a></nav>
        {body}
        </body></html>
        """;

    private static string IndexHtml(RuleCatalog c)
    {
        var sb = new StringBuilder($"<h1>Moat rule catalog</h1><p class=\"muted\">{c.Entries.Count} rules.</p>");
        sb.Append("<table><tr><th>Rule</th><th>Severity</th><th>Title</th><th>Service</th><th>Tactics</th><th>API calls</th><th>Tests</th><th>Source</th></tr>");
        foreach (var e in c.Entries)
        {
            sb.Append($"<tr><td><a href=\"rules/{H(FileName(e.Id))}.html\">{H(e.Id)}</a></td><td>{Sev(e.Doc.Severity)}</td><td>{H(e.Doc.Title)}</td>");
            sb.Append($"<td>{H(string.Join(", ", e.Services))}</td><td>{H(string.Join(", ", e.Doc.Mitre.Where(m => m.Tactic is not null).Select(m => Mitre.TacticName(m.Tactic!)).Distinct()))}</td>");
            sb.Append($"<td>{H(string.Join(", ", e.EventNames))}</td><td>{e.MatchingTests} / {e.NonMatchingTests}</td><td>{H(e.Source)}</td></tr>");
        }
        return sb.Append("</table>").ToString();
    }

    private static string Md(string? s) => (s ?? "").Replace("|", "\\|").Replace("\n", " ");

    private static string IndexMarkdown(RuleCatalog c)
    {
        var sb = new StringBuilder($"# Moat rule catalog\n\n{c.Entries.Count} rules. [MITRE ATT&CK coverage](attack.md)\n\n");
        sb.Append("| Rule | Severity | Title | Service | API calls | Tests (match / no match) |\n|---|---|---|---|---|---|\n");
        foreach (var e in c.Entries)
            sb.Append($"| [{Md(e.Id)}](rules/{FileName(e.Id)}.md) | {e.Doc.Severity.Name()} | {Md(e.Doc.Title)} | {Md(string.Join(", ", e.Services))} | {Md(string.Join(", ", e.EventNames))} | {e.MatchingTests} / {e.NonMatchingTests} |\n");
        return sb.ToString();
    }

    private static Dictionary<string, Dictionary<string, List<CatalogEntry>>> Coverage(RuleCatalog c)
    {
        var cov = new Dictionary<string, Dictionary<string, List<CatalogEntry>>>();
        foreach (var e in c.Entries)
            foreach (var m in e.Doc.Mitre)
            {
                if (m.Tactic is null) continue;
                if (!cov.TryGetValue(m.Tactic, out var byTech)) cov[m.Tactic] = byTech = [];
                var tech = m.Technique ?? "(tactic only)";
                if (!byTech.TryGetValue(tech, out var list)) byTech[tech] = list = [];
                if (!list.Contains(e)) list.Add(e);
            }
        return cov;
    }

    private static string MatrixHtml(RuleCatalog c)
    {
        var cov = Coverage(c);
        var sb = new StringBuilder("<h1>MITRE ATT&amp;CK coverage</h1><p class=\"muted\">Techniques the rules detect, by tactic (Enterprise matrix).</p><table class=\"matrix\"><tr>");
        foreach (var t in Mitre.Tactics) sb.Append($"<th><a href=\"{Mitre.TacticUrl(t.Id)}\">{H(t.Name)}</a><br><span class=\"muted\">{t.Id}</span></th>");
        sb.Append("</tr><tr>");
        foreach (var t in Mitre.Tactics)
        {
            sb.Append("<td>");
            if (cov.TryGetValue(t.Id, out var byTech))
                foreach (var (tech, rules) in byTech.OrderBy(k => k.Key, StringComparer.Ordinal))
                {
                    sb.Append(tech.StartsWith('T') ? $"<p><a href=\"{Mitre.TechniqueUrl(tech)}\"><b>{H(tech)}</b></a><br>" : $"<p><b>{H(tech)}</b><br>");
                    sb.Append(string.Join("<br>", rules.Select(r => $"<a href=\"rules/{H(FileName(r.Id))}.html\">{H(r.Id)}</a>")));
                    sb.Append("</p>");
                }
            sb.Append("</td>");
        }
        return sb.Append("</tr></table>").ToString();
    }

    private static string MatrixMarkdown(RuleCatalog c)
    {
        var cov = Coverage(c);
        var sb = new StringBuilder("# MITRE ATT&CK coverage\n\n| Tactic | Technique | Rules |\n|---|---|---|\n");
        foreach (var t in Mitre.Tactics)
        {
            if (!cov.TryGetValue(t.Id, out var byTech)) { sb.Append($"| {t.Id} {t.Name} | — | — |\n"); continue; }
            foreach (var (tech, rules) in byTech.OrderBy(k => k.Key, StringComparer.Ordinal))
                sb.Append($"| {t.Id} {t.Name} | {Md(tech)} | {string.Join(", ", rules.Select(r => $"[{Md(r.Id)}](rules/{FileName(r.Id)}.md)"))} |\n");
        }
        return sb.ToString();
    }

    private static string RuleHtml(CatalogEntry e)
    {
        var d = e.Doc;
        var sb = new StringBuilder($"<h1>{H(d.Title)}</h1><p><code>{H(d.Id)}</code> {Sev(d.Severity)} <span class=\"muted\">{H(e.Source)}</span></p>");
        sb.Append($"<h2>Goal</h2><p>{H(d.Description)}</p>");
        if (d.Strategy is not null) sb.Append($"<h2>Strategy</h2><p>{H(d.Strategy)}</p>");
        sb.Append("<h2>Severity</h2><ul>");
        sb.Append($"<li>{Sev(d.Severity)} {H(d.SeverityReason)}</li>");
        foreach (var (s, _, reason) in e.Rule.SeverityWhen) sb.Append($"<li>{Sev(s)} when {H(reason ?? "its condition holds")}</li>");
        sb.Append($"</ul><p>Outcome: {H(e.OutcomeText)}.</p>");
        sb.Append($"<h2>API calls watched</h2><p>{H(e.Services.Count == 0 ? "any service" : string.Join(", ", e.Services.Select(s => s + ".amazonaws.com")))}: <code>{H(string.Join(", ", e.EventNames))}</code></p>");
        if (d.Mitre.Count > 0)
        {
            sb.Append("<h2>MITRE ATT&amp;CK</h2><table><tr><th>Tactic</th><th>Technique</th></tr>");
            foreach (var m in d.Mitre)
                sb.Append($"<tr><td>{(m.Tactic is null ? "" : $"<a href=\"{Mitre.TacticUrl(m.Tactic)}\">{H(m.Tactic)} {H(Mitre.TacticName(m.Tactic))}</a>")}</td><td>{(m.Technique is null ? "" : $"<a href=\"{Mitre.TechniqueUrl(m.Technique)}\">{H(m.Technique)}</a>")}</td></tr>");
            sb.Append("</table>");
        }
        sb.Append("<h2>Indicators</h2><table><tr><th>Field</th><th>Test</th><th>Within</th></tr>");
        foreach (var i in e.Indicators) sb.Append($"<tr><td><code>{(i.Negated ? "NOT " : "")}{H(i.Field)}</code></td><td><code>{H(i.Test)}</code></td><td>{H(i.Scope)}</td></tr>");
        sb.Append("</table>");
        sb.Append($"<h2>Output fields</h2><p><code>{H(string.Join(", ", e.OutputFields))}</code></p>");
        if (d.Runbook is { } rb) sb.Append($"<h2>Triage and response</h2><pre>{H(rb.Text.Trim())}</pre>");
        if (d.Remediation is { } rem) sb.Append($"<h2>Remediation</h2><pre>{H(rem.Text.Trim())}</pre>");
        if (d.FalsePositives.Count > 0) sb.Append("<h2>False positives</h2><ul>" + string.Concat(d.FalsePositives.Select(f => $"<li>{H(f)}</li>")) + "</ul>");
        sb.Append("<h2>Other rules watching the same API calls</h2>");
        sb.Append(e.RelatedRules.Count == 0 ? "<p>None.</p>" : "<ul>" + string.Concat(e.RelatedRules.Select(r => $"<li><a href=\"{H(FileName(r))}.html\">{H(r)}</a></li>")) + "</ul>");
        sb.Append($"<h2>Tests</h2><p>{e.MatchingTests} matching, {e.NonMatchingTests} not matching.</p><ul>");
        foreach (var t in d.Tests) sb.Append($"<li>{(t.Match ? "✔ match" : "✘ no match")}: {H(t.Name)}</li>");
        sb.Append("</ul>");
        if (d.References.Count > 0) sb.Append("<h2>References</h2><ul>" + string.Concat(d.References.Select(r => $"<li><a href=\"{H(r)}\">{H(r)}</a></li>")) + "</ul>");
        if (d.Changelog.Count > 0) sb.Append("<h2>Changelog</h2><ul>" + string.Concat(d.Changelog.Select(c => $"<li>{H(c.Date)}: {H(c.Change)}</li>")) + "</ul>");
        if (d.Tags.Count > 0) sb.Append($"<p class=\"muted\">Tags: {H(string.Join(", ", d.Tags))}</p>");
        return sb.ToString();
    }

    private static string RuleMarkdown(CatalogEntry e)
    {
        var d = e.Doc;
        var sb = new StringBuilder($"# {d.Title}\n\n`{d.Id}` · **{d.Severity.Name()}** · {e.Source}\n\n## Goal\n\n{d.Description.Trim()}\n\n");
        if (d.Strategy is not null) sb.Append($"## Strategy\n\n{d.Strategy.Trim()}\n\n");
        sb.Append($"## Severity\n\n- **{d.Severity.Name()}**{(d.SeverityReason is null ? "" : ": " + d.SeverityReason)}\n");
        foreach (var (s, _, reason) in e.Rule.SeverityWhen) sb.Append($"- **{s.Name()}** when {reason ?? "its condition holds"}\n");
        sb.Append($"\nOutcome: {e.OutcomeText}.\n\n");
        sb.Append($"## API calls watched\n\n{(e.Services.Count == 0 ? "any service" : string.Join(", ", e.Services.Select(s => s + ".amazonaws.com")))}: `{string.Join(", ", e.EventNames)}`\n\n");
        if (d.Mitre.Count > 0)
        {
            sb.Append("## MITRE ATT&CK\n\n| Tactic | Technique |\n|---|---|\n");
            foreach (var m in d.Mitre) sb.Append($"| {(m.Tactic is null ? "" : $"{m.Tactic} {Mitre.TacticName(m.Tactic)}")} | {m.Technique} |\n");
            sb.Append('\n');
        }
        sb.Append("## Indicators\n\n| Field | Test | Within |\n|---|---|---|\n");
        foreach (var i in e.Indicators) sb.Append($"| `{(i.Negated ? "NOT " : "")}{Md(i.Field)}` | `{Md(i.Test)}` | {Md(i.Scope)} |\n");
        sb.Append($"\n## Output fields\n\n`{string.Join(", ", e.OutputFields)}`\n\n");
        if (d.Runbook is { } rb) sb.Append($"## Triage and response\n\n```\n{rb.Text.Trim()}\n```\n\n");
        if (d.Remediation is { } rem) sb.Append($"## Remediation\n\n```sh\n{rem.Text.Trim()}\n```\n\n");
        if (d.FalsePositives.Count > 0) sb.Append("## False positives\n\n" + string.Concat(d.FalsePositives.Select(f => $"- {f}\n")) + "\n");
        sb.Append("## Other rules watching the same API calls\n\n" + (e.RelatedRules.Count == 0 ? "None.\n" : string.Concat(e.RelatedRules.Select(r => $"- [{r}]({FileName(r)}.md)\n"))) + "\n");
        sb.Append($"## Tests\n\n{e.MatchingTests} matching, {e.NonMatchingTests} not matching.\n\n");
        foreach (var t in d.Tests) sb.Append($"- {(t.Match ? "match" : "no match")}: {t.Name}\n");
        if (d.References.Count > 0) sb.Append("\n## References\n\n" + string.Concat(d.References.Select(r => $"- <{r}>\n")));
        if (d.Changelog.Count > 0) sb.Append("\n## Changelog\n\n" + string.Concat(d.Changelog.Select(c => $"- {c.Date}: {c.Change}\n")));
        return sb.ToString();
    }

    /// <summary>An ATT&amp;CK Navigator layer (format 4.5): each covered technique scored by the number of rules.</summary>
    public static string NavigatorLayer(RuleCatalog c)
    {
        var cov = Coverage(c);
        int max = 1;
        var techniques = new List<object>();
        foreach (var (tactic, byTech) in cov.OrderBy(k => k.Key, StringComparer.Ordinal))
            foreach (var (tech, rules) in byTech.OrderBy(k => k.Key, StringComparer.Ordinal))
            {
                if (!tech.StartsWith('T')) continue;
                max = Math.Max(max, rules.Count);
                techniques.Add(new
                {
                    techniqueID = tech,
                    tactic = Mitre.TacticShortName(tactic),
                    score = rules.Count,
                    comment = string.Join(", ", rules.Select(r => r.Id)),
                    enabled = true,
                });
            }
        var layer = new
        {
            name = "Moat rule coverage",
            versions = new { attack = "16", navigator = "5.1.0", layer = "4.5" },
            domain = "enterprise-attack",
            description = $"Techniques detected by {c.Entries.Count} Moat rules; score = number of rules.",
            filters = new { platforms = new[] { "IaaS" } },
            sorting = 0,
            hideDisabled = false,
            techniques,
            gradient = new { colors = new[] { "#ffffff", "#66b1ff" }, minValue = 0, maxValue = max },
            legendItems = Array.Empty<object>(),
            showTacticRowBackground = false,
            selectTechniquesAcrossTactics = true,
        };
        return JsonSerializer.Serialize(layer, new JsonSerializerOptions { WriteIndented = true });
    }
}
