using System.Text;
using Moat.Rules;

namespace Moat.Emit;

/// <summary>
/// Human output: findings grouped by severity (most severe first), one block per finding with the resource
/// and the revert command, then a summary line. Text from logs is stripped of control characters so a
/// crafted event cannot drive the analyst's terminal.
/// </summary>
public sealed class TableFindingWriter(TextWriter output, bool verbose = false)
{
    private readonly List<Finding> _findings = [];

    /// <summary>Findings are held until the end because the table is grouped by severity.</summary>
    public void Add(Finding f) => _findings.Add(f);

    public int Count => _findings.Count;

    public void Finish(string scanSummary)
    {
        var bySeverity = _findings.GroupBy(f => f.Severity).OrderByDescending(g => g.Key);
        foreach (var group in bySeverity)
        {
            output.WriteLine($"== {group.Key.Name().ToUpperInvariant()} ({group.Count()}) ==");
            var rows = group.ToList();
            int ruleWidth = Math.Min(60, rows.Max(r => r.RuleId.Length));
            foreach (var f in rows)
            {
                output.WriteLine($"{Clean(f.EventTime ?? "-"),-20}  {Clean(f.RuleId).PadRight(ruleWidth)}  {Clean(f.AccountId ?? "-")}/{Clean(f.Region ?? "-")}  {Clean(f.EventName ?? "-")}");
                output.WriteLine($"    {Clean(f.Title)}");
                output.WriteLine($"    by {Clean(f.Principal ?? "-")} from {Clean(f.SourceIp ?? "-")}");
                foreach (var (k, v) in f.Resource)
                    foreach (var line in v) output.WriteLine($"    {k}: {Clean(line)}");
                if (f.SeverityReason is not null) output.WriteLine($"    severity: {Clean(f.SeverityReason)}");
                if (f.Remediation.Length > 0)
                {
                    var lines = f.Remediation.Split('\n');
                    output.WriteLine($"    revert: {Clean(lines[0])}");
                    foreach (var l in lines.Skip(1)) output.WriteLine($"            {Clean(l)}");
                }
                if (verbose && f.Runbook.Length > 0)
                    foreach (var l in f.Runbook.Split('\n')) output.WriteLine($"    | {Clean(l)}");
                output.WriteLine($"    event {Clean(f.EventId ?? "-")} ({Clean(f.Source)}, record {f.Record})");
            }
            output.WriteLine();
        }
        var counts = string.Join(", ", Enum.GetValues<Severity>().Reverse()
            .Select(s => (s, n: _findings.Count(f => f.Severity == s))).Where(x => x.n > 0).Select(x => $"{x.n} {x.s.Name()}"));
        output.WriteLine(_findings.Count == 0
            ? $"No findings. {scanSummary}"
            : $"{_findings.Count} finding{(_findings.Count == 1 ? "" : "s")} ({counts}). {scanSummary}");
    }

    internal static string Clean(string s)
    {
        bool dirty = false;
        foreach (var c in s) if (char.IsControl(c)) { dirty = true; break; }
        if (!dirty) return s;
        var sb = new StringBuilder(s.Length);
        foreach (var c in s) sb.Append(char.IsControl(c) ? '\uFFFD' : c);
        return sb.ToString();
    }
}
