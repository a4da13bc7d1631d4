using System.Globalization;
using System.Text.Json;
using Moat.Compile;
using Moat.Emit;
using Moat.Rules;
using Moat.Rules.Sigma;

namespace Moat.Evaluate;

/// <summary>
/// Sigma correlation rules (event_count, value_count, temporal, temporal_ordered, value_sum, value_avg,
/// value_percentile) over the findings of the rules they name, grouped by <c>group-by</c> fields (through
/// <c>aliases</c>), in sliding windows of <c>timespan</c> measured on event time — never the wall clock.
///
/// Findings arrive in input order, not time order (files overlap in time, workers finish out of order), so
/// observations are kept and windows are evaluated when the scan ends. A window that fires is closed: the
/// next window starts after its last event, so one burst gives one correlation finding, not one per event.
/// Correlations may name other correlations (chains); they are evaluated in dependency order.
/// </summary>
public sealed class CorrelationEngine
{
    private sealed record Observation(DateTimeOffset Time, string RuleRef, Finding Finding, string[] Group, string? Value);

    private readonly IReadOnlyList<SigmaCorrelation> _correlations;
    private readonly Dictionary<string, string> _refToId = new(StringComparer.Ordinal);
    private readonly HashSet<string> _silenced = new(StringComparer.Ordinal);
    private readonly Dictionary<string, List<Finding>> _findingsByRule = new(StringComparer.Ordinal);
    private readonly HashSet<string> _referenced = new(StringComparer.Ordinal);

    public CorrelationEngine(IReadOnlyList<CompiledRule> rules, IReadOnlyList<SigmaCorrelation> correlations)
    {
        _correlations = correlations;
        foreach (var r in rules)
        {
            _refToId[r.Id] = r.Id;
            if (r.Document.SigmaName is { } n) _refToId.TryAdd(n, r.Id);
        }
        foreach (var c in correlations)
        {
            _refToId[c.Id] = c.Id;
            if (c.Name is { } n) _refToId.TryAdd(n, c.Id);
        }
        // A rule named by a correlation alerts on its own only if some correlation naming it says generate: true.
        var generating = new HashSet<string>(StringComparer.Ordinal);
        foreach (var c in correlations)
            foreach (var r in c.Rules)
                if (_refToId.TryGetValue(r, out var id))
                {
                    _referenced.Add(id);
                    if (c.Generate) generating.Add(id);
                }
        foreach (var id in _referenced)
            if (!generating.Contains(id)) _silenced.Add(id);
    }

    public bool IsEmpty => _correlations.Count == 0;

    /// <summary>Does some correlation take this rule's findings?</summary>
    public bool Uses(string ruleId) => _referenced.Contains(ruleId);

    /// <summary>Notes a finding; returns whether it should be emitted on its own.</summary>
    public bool Observe(Finding f)
    {
        if (_referenced.Contains(f.RuleId))
        {
            if (!_findingsByRule.TryGetValue(f.RuleId, out var list)) _findingsByRule[f.RuleId] = list = [];
            list.Add(f);
        }
        return !_silenced.Contains(f.RuleId);
    }

    /// <summary>Evaluates every correlation over what was observed; returns the correlation findings in time order.</summary>
    public List<Finding> Finish(List<string>? notes = null)
    {
        var output = new List<Finding>();
        var done = new HashSet<string>(StringComparer.Ordinal);
        var pending = _correlations.ToList();
        // Dependency order: a correlation runs once every correlation it names has run.
        while (pending.Count > 0)
        {
            var ready = pending.Where(c => c.Rules.All(r => !_correlations.Any(o => o.Id == Resolve(r) && !done.Contains(o.Id)))).ToList();
            if (ready.Count == 0)
            {
                notes?.Add("correlations " + string.Join(", ", pending.Select(p => p.Id)) + " name each other in a cycle; not evaluated");
                break;
            }
            foreach (var c in ready)
            {
                var results = Evaluate(c, notes);
                done.Add(c.Id);
                pending.Remove(c);
                if (_referenced.Contains(c.Id))
                {
                    _findingsByRule[c.Id] = results;
                    if (_silenced.Contains(c.Id)) continue;
                }
                output.AddRange(results);
            }
        }
        output.Sort((a, b) => string.CompareOrdinal(a.EventTime, b.EventTime));
        return output;
    }

    private string Resolve(string reference) => _refToId.TryGetValue(reference, out var id) ? id : reference;

    private List<Finding> Evaluate(SigmaCorrelation c, List<string>? notes)
    {
        var observations = new List<Observation>();
        foreach (var reference in c.Rules)
        {
            var id = Resolve(reference);
            if (!_findingsByRule.TryGetValue(id, out var findings)) continue;
            foreach (var f in findings)
            {
                if (!TryTime(f.EventTime, out var t)) continue;
                using var doc = JsonDocument.Parse(f.Event);
                var group = new string[c.GroupBy.Count];
                for (int i = 0; i < group.Length; i++) group[i] = Field(doc.RootElement, FieldFor(c, c.GroupBy[i], reference, id)) ?? "";
                string? value = c.Condition.Field is { } vf ? Field(doc.RootElement, FieldFor(c, vf, reference, id)) : null;
                observations.Add(new Observation(t, id, f, group, value));
            }
        }
        var results = new List<Finding>();
        foreach (var group in observations.GroupBy(o => string.Join("\u001f", o.Group)))
        {
            var events = group.OrderBy(o => o.Time).ToList();
            int start = 0;
            for (int end = 0; end < events.Count; end++)
            {
                while (events[end].Time - events[start].Time > c.Timespan) start++;
                var window = events.GetRange(start, end - start + 1);
                if (!Fires(c, window, out var measure)) continue;
                results.Add(Make(c, window, events[end].Group, measure));
                start = end + 1; // the next window starts after this one
                if (start < events.Count) end = start - 1;
                else break;
            }
        }
        return results;
    }

    private static string FieldFor(SigmaCorrelation c, string name, string reference, string id)
    {
        if (c.Aliases.TryGetValue(name, out var perRule) && (perRule.TryGetValue(reference, out var f) || perRule.TryGetValue(id, out f))) return f;
        return name;
    }

    private bool Fires(SigmaCorrelation c, List<Observation> window, out double measure)
    {
        switch (c.Type)
        {
            case CorrelationType.EventCount:
                measure = window.Count;
                return Holds(c.Condition, measure);
            case CorrelationType.ValueCount:
                measure = window.Where(o => o.Value is not null).Select(o => o.Value).Distinct(StringComparer.Ordinal).Count();
                return Holds(c.Condition, measure);
            case CorrelationType.ValueSum or CorrelationType.ValueAvg or CorrelationType.ValuePercentile:
            {
                var nums = window.Select(o => double.TryParse(o.Value, NumberStyles.Float, CultureInfo.InvariantCulture, out var d) ? (double?)d : null)
                    .Where(d => d is not null).Select(d => d!.Value).ToList();
                measure = 0;
                if (nums.Count == 0) return false;
                measure = c.Type switch
                {
                    CorrelationType.ValueSum => nums.Sum(),
                    CorrelationType.ValueAvg => nums.Average(),
                    _ => Percentile(nums, c.Condition.Percentile ?? 50),
                };
                return Holds(c.Condition, measure);
            }
            case CorrelationType.Temporal:
            {
                var names = c.Rules.Select(Resolve).ToList();
                measure = names.Count(n => window.Any(o => o.RuleRef == n));
                return Holds(c.Condition, measure);
            }
            default:
            {
                // temporal_ordered: the rules' events occur in the listed order inside the window.
                var names = c.Rules.Select(Resolve).ToList();
                int k = 0;
                foreach (var o in window)
                    if (k < names.Count && o.RuleRef == names[k]) k++;
                measure = k;
                return k == names.Count && Holds(c.Condition, measure);
            }
        }
    }

    private static double Percentile(List<double> values, double p)
    {
        var sorted = values.Order().ToList();
        double rank = Math.Clamp(p, 0, 100) / 100 * (sorted.Count - 1);
        int lo = (int)Math.Floor(rank), hi = (int)Math.Ceiling(rank);
        return sorted[lo] + (sorted[hi] - sorted[lo]) * (rank - lo);
    }

    private static bool Holds(CorrelationCondition c, double v)
    {
        foreach (var (op, n) in c.Comparisons)
        {
            bool ok = op switch
            {
                "gt" => v > n,
                "gte" => v >= n,
                "lt" => v < n,
                "lte" => v <= n,
                "eq" => v == n,
                _ => v != n,
            };
            if (!ok) return false;
        }
        return true;
    }

    private static Finding Make(SigmaCorrelation c, List<Observation> window, string[] group, double measure)
    {
        var last = window[^1].Finding;
        var groupText = string.Join(", ", c.GroupBy.Select((g, i) => $"{g}={group[i]}"));
        var kind = c.Type switch
        {
            CorrelationType.EventCount => "events",
            CorrelationType.ValueCount => $"distinct {c.Condition.Field}",
            CorrelationType.ValueSum => $"sum of {c.Condition.Field}",
            CorrelationType.ValueAvg => $"average {c.Condition.Field}",
            CorrelationType.ValuePercentile => $"percentile {c.Condition.Percentile} of {c.Condition.Field}",
            CorrelationType.Temporal => "of the rules",
            _ => "of the rules in order",
        };
        var measureText = measure.ToString("0.##", CultureInfo.InvariantCulture);
        var resource = new List<KeyValuePair<string, IReadOnlyList<string>>>
        {
            new("type", ["sigma-correlation/" + c.Type switch
            {
                CorrelationType.EventCount => "event_count",
                CorrelationType.ValueCount => "value_count",
                CorrelationType.Temporal => "temporal",
                CorrelationType.TemporalOrdered => "temporal_ordered",
                CorrelationType.ValueSum => "value_sum",
                CorrelationType.ValueAvg => "value_avg",
                _ => "value_percentile",
            }]),
            new("group", [groupText.Length == 0 ? "(all events)" : groupText]),
            new("measure", [$"{measureText} {kind} within {c.Timespan}"]),
            new("window", [$"{window[0].Finding.EventTime} .. {last.EventTime}"]),
            new("rules", window.Select(o => o.RuleRef).Distinct().ToList()),
            new("events", window.Select(o => o.Finding.EventId ?? "?").ToList()),
        };
        var runbook = $"1. {measureText} {kind} from the correlated rules within {c.Timespan} for {(groupText.Length == 0 ? "all events" : groupText)}, between {window[0].Finding.EventTime} and {last.EventTime}.\n" +
                      "2. Review each contributing event (resource.events) and the rules that matched them (resource.rules).\n" +
                      "3. Check the correlation's false positives and ask the owner of the identity whether the activity was intended.";
        return new Finding(c.Id, c.Title, c.Description, c.Severity, null, last.EventId, last.EventTime, last.EventSource, last.EventName,
            last.AccountId, last.Region, last.Principal, last.SourceIp, last.UserAgent, resource, c.Mitre, c.Tags, c.References, [],
            runbook, "", $"{c.Id}:{groupText}", last.Source, last.Record, last.Event)
        {
            Author = c.Author,
            FalsePositives = c.FalsePositives,
            RuleKind = "sigma-correlation",
        };
    }

    private static bool TryTime(string? text, out DateTimeOffset t) =>
        DateTimeOffset.TryParse(text, CultureInfo.InvariantCulture, DateTimeStyles.AssumeUniversal | DateTimeStyles.AdjustToUniversal, out t);

    private static string? Field(JsonElement root, string path)
    {
        var p = FieldPath.TryParse(path);
        if (p is null) return null;
        var values = new List<JsonElement>();
        p.Collect(root, root, values);
        return values.Count == 0 ? null : string.Join(",", values.Select(v => Values.Text(v) ?? v.GetRawText()));
    }
}
