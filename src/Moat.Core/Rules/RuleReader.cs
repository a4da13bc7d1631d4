using System.Globalization;
using System.Text.RegularExpressions;
using YamlDotNet.Core;
using YamlDotNet.Core.Events;
using YamlDotNet.RepresentationModel;

namespace Moat.Rules;

/// <summary>
/// Read stage: YAML text → <see cref="RuleDocument"/>. Never throws for a bad rule; every problem becomes a
/// <see cref="Diagnostic"/> with file, line and column, and a rule with errors yields no document.
/// </summary>
public static partial class RuleReader
{
    internal const int MaxDepth = 64;

    private static readonly HashSet<string> TopKeys =
    [
        "id", "title", "description", "severity", "severity_when", "mitre", "tags", "references", "summary",
        "resource", "runbook", "remediation", "dedup", "condition", "tests", "changelog", "falsepositives", "author",
        "status", "outcome", "severity_reason", "strategy", "finding_title",
    ];

    internal static readonly HashSet<string> ConditionKeywords = ["all", "any", "not", "any_item", "all_items", "no_item", "port_range"];

    [GeneratedRegex(@"^[A-Za-z0-9][A-Za-z0-9._:\-]*$")]
    private static partial Regex IdPattern();

    [GeneratedRegex(@"^TA\d{4}$")]
    private static partial Regex TacticPattern();

    [GeneratedRegex(@"^T\d{4}(\.\d{3})?$")]
    private static partial Regex TechniquePattern();

    /// <summary>Parses YAML text into plain values; null (with a diagnostic) when the YAML itself is broken.</summary>
    public static IReadOnlyList<YValue>? ParseYaml(string text, string file, List<Diagnostic> diagnostics)
    {
        var stream = new YamlStream();
        var scanner = new Scanner(new StringReader(text));
        var parser = new AliasSpotter(new Parser(scanner));
        try
        {
            stream.Load(parser);
        }
        catch (YamlException e)
        {
            var span = new SourceSpan(file, (int)e.Start.Line, (int)e.Start.Column);
            diagnostics.Add(new Diagnostic(DiagnosticCodes.YamlSyntax, DiagnosticLevel.Error, span, CleanYamlMessage(e)));
            return null;
        }
        catch (InvalidOperationException)
        {
            // YamlDotNet's scanner fails this way, with no position, on a '{' or '[' left open before the next
            // key (`condition: { eventName: A` then `tests:`); its cursor is where the YAML stopped making sense.
            var at = scanner.CurrentPosition;
            diagnostics.Add(new Diagnostic(DiagnosticCodes.YamlSyntax, DiagnosticLevel.Error, new SourceSpan(file, (int)at.Line, (int)at.Column),
                "the YAML cannot be read from here on (is a '{' or '[' above left open?)"));
            return null;
        }
        var docs = new List<YValue>();
        var lines = text.Split('\n');
        // YamlStream resolves *name to the anchored node itself, so converting walks it once per use: a few
        // lines of nested aliases ("billion laughs") would expand to billions of values. Aliases are handy for
        // reusing a condition, so they are allowed, within a budget of converted values.
        var budget = new Budget();
        foreach (var d in stream.Documents)
        {
            var v = Convert(d.RootNode, file, lines, 0, diagnostics, budget);
            if (v is null) return null;
            if (budget.Nodes > Budget.Max)
            {
                var at = parser.FirstAlias ?? d.RootNode.Start;
                diagnostics.Add(new Diagnostic(DiagnosticCodes.TooDeep, DiagnosticLevel.Error, new SourceSpan(file, (int)at.Line, (int)at.Column),
                    $"the YAML expands to more than {Budget.Max} values (aliases used inside aliases?)"));
                return null;
            }
            docs.Add(v);
        }
        return docs;
    }

    /// <summary>Passes parser events through, noting where the first alias (*name) is used.</summary>
    private sealed class AliasSpotter(IParser inner) : IParser
    {
        public Mark? FirstAlias { get; private set; }

        public ParsingEvent? Current => inner.Current;

        public bool MoveNext()
        {
            if (!inner.MoveNext()) return false;
            if (FirstAlias is null && inner.Current is AnchorAlias a) FirstAlias = a.Start;
            return true;
        }
    }

    private static string CleanYamlMessage(YamlException e)
    {
        // YamlDotNet prefixes its messages with the position, which our span already carries.
        var m = e.InnerException?.Message ?? e.Message;
        int close = m.IndexOf("): ", StringComparison.Ordinal);
        return m.StartsWith("(Line", StringComparison.Ordinal) && close > 0 ? m[(close + 3)..] : m;
    }

    private sealed class Budget
    {
        public const int Max = 200_000;
        public int Nodes;
    }

    private static YValue? Convert(YamlNode node, string file, string[] lines, int depth, List<Diagnostic> diagnostics, Budget budget)
    {
        if (++budget.Nodes > Budget.Max) return new YScalar("", false, SourceSpan.None(file));
        var span = new SourceSpan(file, (int)node.Start.Line, (int)node.Start.Column);
        if (depth > MaxDepth * 2)
        {
            diagnostics.Add(new Diagnostic(DiagnosticCodes.TooDeep, DiagnosticLevel.Error, span, "YAML nests too deeply"));
            return null;
        }
        switch (node)
        {
            case YamlScalarNode s:
                return new YScalar(s.Value ?? "", s.Style is ScalarStyle.SingleQuoted or ScalarStyle.DoubleQuoted or ScalarStyle.Literal or ScalarStyle.Folded, span)
                {
                    Content = s.Style switch
                    {
                        ScalarStyle.SingleQuoted or ScalarStyle.DoubleQuoted => span with { Column = span.Column + 1 },
                        ScalarStyle.Literal or ScalarStyle.Folded => BlockContent(span, lines),
                        _ => span,
                    },
                };
            case YamlSequenceNode q:
            {
                var items = new List<YValue>(q.Children.Count);
                foreach (var c in q.Children)
                {
                    var v = Convert(c, file, lines, depth + 1, diagnostics, budget);
                    if (v is null) return null;
                    items.Add(v);
                }
                return new YSequence(items, span);
            }
            case YamlMappingNode m:
            {
                var entries = new List<KeyValuePair<YScalar, YValue>>(m.Children.Count);
                foreach (var kv in m.Children)
                {
                    if (Convert(kv.Key, file, lines, depth + 1, diagnostics, budget) is not YScalar key)
                    {
                        diagnostics.Add(new Diagnostic(DiagnosticCodes.WrongType, DiagnosticLevel.Error, span, "mapping keys must be plain text"));
                        return null;
                    }
                    var v = Convert(kv.Value, file, lines, depth + 1, diagnostics, budget);
                    if (v is null) return null;
                    entries.Add(new(key, v));
                }
                return new YMapping(entries, span);
            }
            default:
                diagnostics.Add(new Diagnostic(DiagnosticCodes.WrongType, DiagnosticLevel.Error, span, "YAML aliases are not supported in rules"));
                return null;
        }
    }

    /// <summary>
    /// A block scalar (| or >) starts at its indicator; its text starts on the next line, at the indentation of
    /// its first non-blank line.
    /// </summary>
    private static SourceSpan BlockContent(SourceSpan indicator, string[] lines)
    {
        for (int i = indicator.Line; i < lines.Length; i++) // lines[i] is line i + 1
        {
            var l = lines[i].TrimEnd('\r');
            if (l.Trim().Length == 0) continue;
            return indicator with { Line = indicator.Line + 1, Column = l.Length - l.TrimStart(' ').Length + 1 };
        }
        return indicator with { Line = indicator.Line + 1, Column = 1 };
    }

    /// <summary>Reads one rule file. Returns the rule, or null when it has errors (all of them reported).</summary>
    public static RuleDocument? Read(string text, string file, List<Diagnostic> diagnostics)
    {
        var docs = ParseYaml(text, file, diagnostics);
        if (docs is null) return null;
        if (docs.Count != 1)
        {
            diagnostics.Add(new Diagnostic(DiagnosticCodes.WrongType, DiagnosticLevel.Error, new SourceSpan(file, 1, 1),
                docs.Count == 0 ? "the file is empty" : "a rule file holds exactly one rule (one YAML document)"));
            return null;
        }
        return ReadRule(docs[0], file, diagnostics);
    }

    public static RuleDocument? ReadRule(YValue root, string file, List<Diagnostic> diagnostics)
    {
        var ctx = new Ctx(diagnostics);
        if (root is not YMapping map)
        {
            ctx.Error(DiagnosticCodes.WrongType, root.Span, "a rule is a mapping of keys (id, title, severity, condition, ...)");
            return null;
        }
        foreach (var e in map.Entries)
            if (!TopKeys.Contains(e.Key.Value))
                ctx.Warn(DiagnosticCodes.UnknownKey, e.Key.Span, $"unknown key '{e.Key.Value}'");

        string id = ctx.RequiredText(map, "id") ?? "";
        if (id.Length > 0 && !IdPattern().IsMatch(id))
            ctx.Error(DiagnosticCodes.BadId, map["id"]!.Span, $"rule id '{id}' may only contain letters, digits and . _ - :");
        string title = ctx.RequiredText(map, "title") ?? "";
        string description = ctx.OptionalText(map, "description") ?? "";
        var severity = Severity.Info;
        if (ctx.RequiredText(map, "severity") is { } sevText && !SeverityNames.TryParse(sevText, out severity))
            ctx.Error(DiagnosticCodes.BadSeverity, map["severity"]!.Span, $"severity '{sevText}' is not one of info, low, medium, high, critical");

        ConditionSyntax? condition = null;
        if (map["condition"] is { } c) condition = ReadCondition(c, ctx, 0);
        else ctx.Error(DiagnosticCodes.MissingField, map.Span, "missing required key 'condition'");

        var severityWhen = new List<SeverityWhen>();
        if (map["severity_when"] is { } sw)
        {
            foreach (var item in ctx.Items(sw))
            {
                if (item is not YMapping m) { ctx.Error(DiagnosticCodes.WrongType, item.Span, "severity_when items are mappings with severity and condition"); continue; }
                var s = Severity.Info;
                if (ctx.RequiredText(m, "severity") is { } st && !SeverityNames.TryParse(st, out s))
                    ctx.Error(DiagnosticCodes.BadSeverity, m["severity"]!.Span, $"severity '{st}' is not one of info, low, medium, high, critical");
                var cond = m["condition"] is { } mc ? ReadCondition(mc, ctx, 0) : null;
                if (cond is null && m["condition"] is null) ctx.Error(DiagnosticCodes.MissingField, m.Span, "severity_when item needs a condition");
                if (cond is not null) severityWhen.Add(new SeverityWhen(s, cond, ctx.OptionalText(m, "reason")));
            }
        }

        var mitre = new List<MitreRef>();
        if (map["mitre"] is { } mi)
        {
            foreach (var item in ctx.Items(mi))
            {
                if (item is not YMapping m) { ctx.Error(DiagnosticCodes.WrongType, item.Span, "mitre items are mappings with tactic and/or technique"); continue; }
                var tactic = ctx.OptionalText(m, "tactic");
                var technique = ctx.OptionalText(m, "technique");
                if (tactic is not null && !TacticPattern().IsMatch(tactic)) ctx.Error(DiagnosticCodes.BadMitre, m["tactic"]!.Span, $"'{tactic}' is not a MITRE ATT&CK tactic id (TA0000)");
                if (technique is not null && !TechniquePattern().IsMatch(technique)) ctx.Error(DiagnosticCodes.BadMitre, m["technique"]!.Span, $"'{technique}' is not a MITRE ATT&CK technique id (T0000 or T0000.000)");
                if (tactic is null && technique is null) ctx.Error(DiagnosticCodes.MissingField, m.Span, "a mitre item needs a tactic or a technique");
                mitre.Add(new MitreRef(tactic, technique));
            }
        }

        var resource = new List<KeyValuePair<string, TemplateText>>();
        if (map["resource"] is { } res)
        {
            if (res is YMapping rm)
                foreach (var e in rm.Entries)
                {
                    if (e.Value is YScalar sv) resource.Add(new(e.Key.Value, new TemplateText(sv.Value, sv.Content)));
                    else ctx.Error(DiagnosticCodes.WrongType, e.Value.Span, "resource values are texts (templates allowed)");
                }
            else ctx.Error(DiagnosticCodes.WrongType, res.Span, "resource is a mapping of names to templates");
        }

        var dedup = new DedupSpec(null, TimeSpan.FromMinutes(60));
        if (map["dedup"] is { } dd)
        {
            if (dd is YMapping dm)
            {
                TemplateText? key = dm["key"] is YScalar ks ? new TemplateText(ks.Value, ks.Content) : null;
                var period = TimeSpan.FromMinutes(60);
                if (dm["period"] is YScalar ps && !TryParseDuration(ps.Value, out period))
                    ctx.Error(DiagnosticCodes.BadDuration, ps.Span, $"'{ps.Value}' is not a duration like 30m, 1h or 1d");
                int threshold = 1;
                if (dm["threshold"] is YScalar th && (!int.TryParse(th.Value, out threshold) || threshold < 1))
                    ctx.Error(DiagnosticCodes.BadNumber, th.Span, $"threshold is a whole number of matches (1 or more), not '{th.Value}'");
                foreach (var e in dm.Entries)
                    if (e.Key.Value is not ("key" or "period" or "threshold" or "distinct"))
                        ctx.Warn(DiagnosticCodes.UnknownKey, e.Key.Span, $"dedup has no key '{e.Key.Value}' (key, period, threshold, distinct)");
                dedup = new DedupSpec(key, period) { Threshold = Math.Max(1, threshold), DistinctField = ctx.OptionalText(dm, "distinct") };
            }
            else ctx.Error(DiagnosticCodes.WrongType, dd.Span, "dedup is a mapping with key, period, threshold and distinct");
        }

        var tests = new List<RuleTest>();
        if (map["tests"] is { } ts)
        {
            foreach (var item in ctx.Items(ts))
            {
                if (item is not YMapping tm) { ctx.Error(DiagnosticCodes.WrongType, item.Span, "a test is a mapping with name, match and event"); continue; }
                var name = ctx.RequiredText(tm, "name") ?? "";
                bool match = false;
                if (ctx.RequiredText(tm, "match") is { } mt)
                {
                    if (mt is "true" or "false") match = mt == "true";
                    else ctx.Error(DiagnosticCodes.WrongType, tm["match"]!.Span, "match is true or false");
                }
                Severity? expect = null;
                if (ctx.OptionalText(tm, "severity") is { } es)
                {
                    if (SeverityNames.TryParse(es, out var ev)) expect = ev;
                    else ctx.Error(DiagnosticCodes.BadSeverity, tm["severity"]!.Span, $"severity '{es}' is not one of info, low, medium, high, critical");
                }
                if (tm["event"] is not { } ev2) { ctx.Error(DiagnosticCodes.MissingField, tm.Span, "a test needs an event"); continue; }
                var output = new List<KeyValuePair<string, string>>();
                if (tm["output"] is { } ov)
                {
                    if (ov is YMapping om)
                        foreach (var (k, v) in om.Entries)
                            if (v is YScalar sv) output.Add(new(k.Value, sv.Value));
                            else ctx.Error(DiagnosticCodes.WrongType, v.Span, "expected output values are texts");
                    else ctx.Error(DiagnosticCodes.WrongType, ov.Span, "output is a mapping of finding fields to expected texts");
                }
                foreach (var e in tm.Entries)
                    if (e.Key.Value is not ("name" or "match" or "severity" or "event" or "output"))
                        ctx.Warn(DiagnosticCodes.UnknownKey, e.Key.Span, $"unknown test key '{e.Key.Value}' (name, match, severity, output, event)");
                tests.Add(new RuleTest(name, match, expect, ev2, tm.Span, output));
            }
        }
        if (tests.Count == 0 && map["tests"] is null)
            ctx.Warn(DiagnosticCodes.NoTests, map.Span, "the rule has no embedded tests");

        var changelog = new List<ChangelogEntry>();
        if (map["changelog"] is { } cl)
            foreach (var item in ctx.Items(cl))
                if (item is YMapping cm) changelog.Add(new ChangelogEntry(ctx.OptionalText(cm, "date") ?? "", ctx.OptionalText(cm, "change") ?? ""));
                else ctx.Error(DiagnosticCodes.WrongType, item.Span, "changelog items are mappings with date and change");

        var runbook = map["runbook"] is YScalar rb ? new TemplateText(rb.Value, rb.Content) : null;
        var remediation = map["remediation"] is YScalar rem ? new TemplateText(rem.Value, rem.Content) : null;
        if (map["runbook"] is { } rbv && rbv is not YScalar) ctx.Error(DiagnosticCodes.WrongType, rbv.Span, "runbook is a text");
        if (map["remediation"] is { } remv && remv is not YScalar) ctx.Error(DiagnosticCodes.WrongType, remv.Span, "remediation is a text");

        var tags = ctx.TextList(map, "tags");
        var references = ctx.TextList(map, "references");
        var summary = ctx.TextList(map, "summary");
        var falsePositives = ctx.TextList(map, "falsepositives");
        var author = ctx.OptionalText(map, "author");
        var outcome = ctx.OptionalText(map, "outcome");
        if (outcome is not (null or "success" or "attempts"))
            ctx.Error(DiagnosticCodes.WrongType, map["outcome"]!.Span, $"outcome is 'success' (calls that took effect) or 'attempts' (failed calls matter too), not '{outcome}'");
        var findingTitle = map["finding_title"] is YScalar ft ? new TemplateText(ft.Value, ft.Span) : null;
        if (ctx.HasErrors || condition is null) return null;
        // Only a rule that states it is about successful calls is held to it; a quick custom rule is not nagged.
        if (outcome == "success" && !ExcludesFailures(condition))
            ctx.Warn(DiagnosticCodes.OutcomeNotEnforced, condition.Span,
                "outcome is success but the condition does not require 'errorCode: { null: true }' at its top level; failed calls would match (say 'outcome: attempts' if they should)");
        return new RuleDocument(id, title, description, severity, severityWhen, mitre, tags, references, summary, resource,
            runbook, remediation, dedup, condition, tests, changelog, falsePositives, author, map.Span)
        {
            SeverityReason = ctx.OptionalText(map, "severity_reason"),
            Strategy = ctx.OptionalText(map, "strategy"),
            Outcome = outcome,
            FindingTitle = findingTitle,
        };
    }

    private static bool ExcludesFailures(ConditionSyntax c)
    {
        IEnumerable<ConditionSyntax> top = c is AllSyntax all ? all.Items : [c];
        foreach (var s in top)
            if (s is FieldSyntax { Path: "errorCode" } f && f.Operators.Any(o => o.Name == "null" && o.Value is YScalar { Value: "true" }))
                return true;
        return false;
    }

    public static bool TryParseDuration(string text, out TimeSpan value)
    {
        value = default;
        text = text.Trim();
        if (text.Length < 2) return false;
        if (!double.TryParse(text[..^1], NumberStyles.Float, CultureInfo.InvariantCulture, out var n) || n < 0) return false;
        switch (text[^1])
        {
            case 's': value = TimeSpan.FromSeconds(n); return true;
            case 'm': value = TimeSpan.FromMinutes(n); return true;
            case 'h': value = TimeSpan.FromHours(n); return true;
            case 'd': value = TimeSpan.FromDays(n); return true;
            default: return false;
        }
    }

    private static ConditionSyntax? ReadCondition(YValue value, Ctx ctx, int depth)
    {
        if (depth > MaxDepth)
        {
            ctx.Error(DiagnosticCodes.TooDeep, value.Span, $"the condition nests deeper than {MaxDepth} levels");
            return null;
        }
        if (value is not YMapping map)
        {
            ctx.Error(DiagnosticCodes.WrongType, value.Span,
                value is YSequence ? "a condition is a mapping; wrap a list in 'all:' or 'any:'" : "a condition is a mapping (field tests, all, any, not, any_item, ...)");
            return null;
        }
        if (map.Entries.Count == 0)
        {
            ctx.Error(DiagnosticCodes.EmptyList, map.Span, "empty condition");
            return null;
        }
        var parts = new List<ConditionSyntax>(map.Entries.Count);
        bool ok = true;
        foreach (var (key, v) in map.Entries)
        {
            ConditionSyntax? part = key.Value switch
            {
                "all" or "any" => ReadList(key, v, ctx, depth),
                "not" => ReadCondition(v, ctx, depth + 1) is { } inner ? new NotSyntax(inner, key.Span) : null,
                "any_item" => ReadItems(Quantifier.Any, key, v, ctx, depth),
                "all_items" => ReadItems(Quantifier.All, key, v, ctx, depth),
                "no_item" => ReadItems(Quantifier.None, key, v, ctx, depth),
                "port_range" => ReadPortRange(key, v, ctx),
                _ => ReadField(key, v, ctx),
            };
            if (part is null) ok = false;
            else parts.Add(part);
        }
        if (!ok) return null;
        return parts.Count == 1 ? parts[0] : new AllSyntax(parts, map.Span);
    }

    private static ConditionSyntax? ReadList(YScalar key, YValue v, Ctx ctx, int depth)
    {
        if (v is not YSequence seq)
        {
            ctx.Error(DiagnosticCodes.WrongType, v.Span, $"'{key.Value}' takes a list of conditions");
            return null;
        }
        if (seq.Items.Count == 0)
        {
            ctx.Error(DiagnosticCodes.EmptyList, v.Span, $"'{key.Value}' list is empty");
            return null;
        }
        var items = new List<ConditionSyntax>();
        bool ok = true;
        foreach (var i in seq.Items)
        {
            var c = ReadCondition(i, ctx, depth + 1);
            if (c is null) ok = false;
            else items.Add(c);
        }
        if (!ok) return null;
        return key.Value == "all" ? new AllSyntax(items, key.Span) : new AnySyntax(items, key.Span);
    }

    private static ConditionSyntax? ReadItems(Quantifier q, YScalar key, YValue v, Ctx ctx, int depth)
    {
        if (v is not YMapping m)
        {
            ctx.Error(DiagnosticCodes.WrongType, v.Span, $"'{key.Value}' takes a mapping with path, where and optionally as");
            return null;
        }
        foreach (var e in m.Entries)
            if (e.Key.Value is not ("path" or "where" or "as"))
                ctx.Error(DiagnosticCodes.UnknownKey, e.Key.Span, $"'{key.Value}' has no key '{e.Key.Value}' (path, where, as)");
        var path = ctx.RequiredText(m, "path");
        var alias = ctx.OptionalText(m, "as");
        if (m["where"] is not { } w)
        {
            ctx.Error(DiagnosticCodes.MissingField, m.Span, $"'{key.Value}' needs a 'where' condition");
            return null;
        }
        var where = ReadCondition(w, ctx, depth + 1);
        if (path is null || where is null) return null;
        return new ItemsSyntax(q, path, alias, where, key.Span);
    }

    private static ConditionSyntax? ReadPortRange(YScalar key, YValue v, Ctx ctx)
    {
        if (v is not YMapping m)
        {
            ctx.Error(DiagnosticCodes.WrongType, v.Span, "port_range takes a mapping with protocol, from, to and covers_any");
            return null;
        }
        foreach (var e in m.Entries)
            if (e.Key.Value is not ("protocol" or "from" or "to" or "covers_any"))
                ctx.Error(DiagnosticCodes.UnknownKey, e.Key.Span, $"port_range has no key '{e.Key.Value}' (protocol, from, to, covers_any)");
        var protocol = ctx.RequiredText(m, "protocol");
        var from = ctx.RequiredText(m, "from");
        var to = ctx.RequiredText(m, "to");
        if (m["covers_any"] is not { } ports)
        {
            ctx.Error(DiagnosticCodes.MissingField, m.Span, "port_range needs covers_any (a list of ports)");
            return null;
        }
        if (protocol is null || from is null || to is null) return null;
        return new PortRangeSyntax(protocol, from, to, ports, key.Span);
    }

    private static ConditionSyntax? ReadField(YScalar key, YValue v, Ctx ctx)
    {
        var ops = new List<OperatorSyntax>();
        switch (v)
        {
            case YScalar s:
                ops.Add(new OperatorSyntax("equals", s, s.Span));
                break;
            case YSequence q:
                ops.Add(new OperatorSyntax("in", q, q.Span));
                break;
            case YMapping m:
                foreach (var (k, val) in m.Entries) ops.Add(new OperatorSyntax(k.Value, val, k.Span));
                if (ops.Count == 0)
                {
                    ctx.Error(DiagnosticCodes.EmptyList, m.Span, $"no operator given for field '{key.Value}'");
                    return null;
                }
                break;
        }
        return new FieldSyntax(key.Value, ops, key.Span);
    }

    /// <summary>Collects diagnostics for one rule and offers typed accessors that report wrong shapes.</summary>
    private sealed class Ctx(List<Diagnostic> diagnostics)
    {
        public bool HasErrors { get; private set; }

        public void Error(string code, SourceSpan span, string message)
        {
            HasErrors = true;
            diagnostics.Add(new Diagnostic(code, DiagnosticLevel.Error, span, message));
        }

        public void Warn(string code, SourceSpan span, string message) =>
            diagnostics.Add(new Diagnostic(code, DiagnosticLevel.Warning, span, message));

        public string? RequiredText(YMapping map, string key)
        {
            var v = map[key];
            if (v is null)
            {
                Error(DiagnosticCodes.MissingField, map.Span, $"missing required key '{key}'");
                return null;
            }
            return Text(v, key);
        }

        public string? OptionalText(YMapping map, string key) => map[key] is { } v ? Text(v, key) : null;

        private string? Text(YValue v, string key)
        {
            if (v is YScalar s && !s.IsNull) return s.Value;
            Error(DiagnosticCodes.WrongType, v.Span, $"'{key}' must be a text");
            return null;
        }

        public IReadOnlyList<YValue> Items(YValue v)
        {
            if (v is YSequence s) return s.Items;
            Error(DiagnosticCodes.WrongType, v.Span, "expected a list");
            return [];
        }

        public IReadOnlyList<string> TextList(YMapping map, string key)
        {
            if (map[key] is not { } v) return [];
            if (v is YScalar one && !one.IsNull) return [one.Value];
            var list = new List<string>();
            foreach (var i in Items(v))
                if (i is YScalar s) list.Add(s.Value);
                else Error(DiagnosticCodes.WrongType, i.Span, $"'{key}' items must be texts");
            return list;
        }
    }
}
