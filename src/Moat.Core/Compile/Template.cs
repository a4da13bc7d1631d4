using System.Text;
using System.Text.Json;
using Moat.Rules;

namespace Moat.Compile;

/// <summary>What a template is rendered against: the event, the items the condition bound, the rule.</summary>
internal sealed record RenderContext(JsonElement Root, Captures Captures, string RuleId, string RuleTitle, Severity Severity);

/// <summary>
/// A compiled <c>{{path ?? other.path | filter:"arg"}}</c> template (grammar in docs/rule-language.md).
/// A line that names an item bound with <c>as:</c> is repeated for each bound item, so a finding about two
/// world-open permissions carries two revert commands.
/// </summary>
internal sealed class Template
{
    private static readonly HashSet<string> Filters = ["join", "map", "default", "json", "first", "lower", "upper", "ifany", "sh", "safe", "required", "hide"];

    private readonly Line[] _lines;
    public string Text { get; }

    private Template(string text, Line[] lines)
    {
        Text = text;
        _lines = lines;
    }

    private sealed record Line(Part[] Parts, string[] Aliases);

    private abstract record Part;

    private sealed record Literal(string Text) : Part;

    private sealed record Expr(FieldPath[] Paths, (string Name, string? Arg)[] Filters) : Part;

    public static Template? Compile(TemplateText source, IReadOnlySet<string> aliases, List<Diagnostic> diagnostics)
    {
        var lines = new List<Line>();
        var rawLines = source.Text.Split('\n');
        bool ok = true;
        for (int li = 0; li < rawLines.Length; li++)
        {
            var raw = rawLines[li].TrimEnd('\r');
            var parts = new List<Part>();
            var used = new HashSet<string>();
            int i = 0;
            while (i < raw.Length)
            {
                int open = raw.IndexOf("{{", i, StringComparison.Ordinal);
                if (open < 0) { parts.Add(new Literal(raw[i..])); break; }
                if (open > i) parts.Add(new Literal(raw[i..open]));
                int close = FindClose(raw, open + 2);
                // Exact for one-line texts and | blocks; lines folded together (>, multi-line plain) point at their first line.
                var span = source.Span.Line > 0 ? source.Span with { Line = source.Span.Line + li, Column = source.Span.Column + open } : source.Span;
                if (close < 0)
                {
                    diagnostics.Add(new Diagnostic(DiagnosticCodes.BadTemplate, DiagnosticLevel.Error, span, "'{{' is not closed by '}}'"));
                    ok = false;
                    break;
                }
                var expr = ParseExpr(raw[(open + 2)..close], span, diagnostics);
                if (expr is null) ok = false;
                else
                {
                    parts.Add(expr);
                    foreach (var p in expr.Paths)
                        if (!p.FromRoot && aliases.Contains(p.Segments[0])) used.Add(p.Segments[0]);
                }
                i = close + 2;
            }
            lines.Add(new Line([.. parts], [.. used]));
        }
        return ok ? new Template(source.Text, [.. lines]) : null;
    }

    /// <summary>The "}}" that ends an expression, skipping any inside a quoted filter argument.</summary>
    private static int FindClose(string raw, int from)
    {
        bool quoted = false;
        for (int i = from; i + 1 < raw.Length; i++)
        {
            if (raw[i] == '"') quoted = !quoted;
            else if (!quoted && raw[i] == '}' && raw[i + 1] == '}') return i;
        }
        return -1;
    }

    private static Expr? ParseExpr(string text, SourceSpan span, List<Diagnostic> diagnostics)
    {
        var pieces = SplitOutsideQuotes(text, '|');
        var paths = new List<FieldPath>();
        foreach (var alt in pieces[0].Split("??"))
        {
            var p = FieldPath.TryParse(alt);
            if (p is null)
            {
                diagnostics.Add(new Diagnostic(DiagnosticCodes.BadTemplate, DiagnosticLevel.Error, span, $"'{{{{{text}}}}}' has an empty or malformed field path"));
                return null;
            }
            paths.Add(p);
        }
        var filters = new List<(string, string?)>();
        foreach (var f in pieces.Skip(1))
        {
            var t = f.Trim();
            int colon = t.IndexOf(':');
            string name = colon < 0 ? t : t[..colon].Trim();
            string? arg = colon < 0 ? null : Unquote(t[(colon + 1)..].Trim());
            if (!Filters.Contains(name))
            {
                diagnostics.Add(new Diagnostic(DiagnosticCodes.BadTemplate, DiagnosticLevel.Error, span,
                    $"unknown template filter '{name}' (known: {string.Join(", ", Filters.Order())})"));
                return null;
            }
            filters.Add((name, arg));
        }
        return new Expr([.. paths], [.. filters]);
    }

    private static List<string> SplitOutsideQuotes(string text, char sep)
    {
        var list = new List<string>();
        var sb = new StringBuilder();
        bool quoted = false;
        foreach (var c in text)
        {
            if (c == '"') quoted = !quoted;
            if (c == sep && !quoted) { list.Add(sb.ToString()); sb.Clear(); }
            else sb.Append(c);
        }
        list.Add(sb.ToString());
        return list;
    }

    private static string Unquote(string s) => s.Length >= 2 && s[0] == '"' && s[^1] == '"' ? s[1..^1] : s;

    /// <summary>Renders to lines (a line naming a bound item is repeated per item), joined with newlines.</summary>
    public string Render(RenderContext ctx)
    {
        var lines = RenderLines(ctx);
        return lines.Count == 1 ? lines[0] : string.Join('\n', lines);
    }

    public List<string> RenderLines(RenderContext ctx)
    {
        var output = new List<string>();
        foreach (var line in _lines)
        {
            if (line.Aliases.Length == 0)
            {
                if (RenderLine(line, ctx, null) is { } single) output.Add(single);
                continue;
            }
            // Cartesian product over the aliases the line names. A line naming an alias that bound nothing
            // is left out: it belongs to a branch of the condition that did not match.
            var combos = new List<Dictionary<string, JsonElement?>> { new() };
            foreach (var a in line.Aliases)
            {
                var items = ctx.Captures.Get(a);
                var next = new List<Dictionary<string, JsonElement?>>();
                foreach (var c in combos)
                {
                    foreach (var it in items) next.Add(new(c) { [a] = it });
                }
                combos = next.Count > 1000 ? next.GetRange(0, 1000) : next;
            }
            var seen = new HashSet<string>();
            foreach (var c in combos)
            {
                if (RenderLine(line, ctx, c) is { } text && seen.Add(text)) output.Add(text);
            }
        }
        return output;
    }

    /// <summary>Null when an expression marked <c>required</c> has no value: the whole line is dropped.</summary>
    [ThreadStatic] private static StringBuilder? t_builder;
    [ThreadStatic] private static List<JsonElement>? t_elements;

    private static string? RenderLine(Line line, RenderContext ctx, Dictionary<string, JsonElement?>? bound)
    {
        // Findings are rendered once per match, and a noisy rule can match most events: keep this lean.
        var sb = t_builder ??= new StringBuilder(256);
        sb.Clear();
        foreach (var part in line.Parts)
        {
            if (part is Literal l) { sb.Append(l.Text); continue; }
            var e = (Expr)part;
            var values = new List<string>(1);
            foreach (var p in e.Paths)
            {
                Resolve(p, ctx, bound, values);
                if (values.Count > 0) break; // '??': the first path with a value wins
            }
            if (e.Filters.Length == 0)
            {
                if (values.Count == 1) sb.Append(values[0]);
                else if (values.Count > 1) sb.AppendJoin(", ", values);
                continue;
            }
            var rendered = Apply(e.Filters, values);
            if (rendered is null) return null;
            sb.Append(rendered);
        }
        return sb.ToString();
    }

    private static void Resolve(FieldPath p, RenderContext ctx, Dictionary<string, JsonElement?>? bound, List<string> into)
    {
        if (!p.FromRoot && p.Segments.Length == 2 && p.Segments[0] == "rule")
        {
            switch (p.Segments[1])
            {
                case "id": into.Add(ctx.RuleId); return;
                case "title": into.Add(ctx.RuleTitle); return;
                case "severity": into.Add(ctx.Severity.Name()); return;
            }
        }
        var elements = t_elements ??= new List<JsonElement>(4);
        elements.Clear();
        if (!p.FromRoot && bound is not null && p.Segments.Length > 0 && bound.TryGetValue(p.Segments[0], out var item))
        {
            if (item is { } it)
            {
                if (p.Segments.Length == 1) elements.Add(it);
                else p.CollectFrom(it, 1, elements);
            }
        }
        else
        {
            p.Collect(ctx.Root, ctx.Root, elements);
        }
        foreach (var el in elements)
        {
            if (el.ValueKind == JsonValueKind.Null) continue;
            into.Add(Values.Text(el) ?? el.GetRawText());
        }
    }

    private static string? Apply((string Name, string? Arg)[] filters, List<string> values)
    {
        foreach (var (name, arg) in filters)
        {
            switch (name)
            {
                case "map":
                    for (int i = 0; i < values.Count; i++) values[i] = (arg ?? "%").Replace("%", values[i]);
                    break;
                case "lower":
                    for (int i = 0; i < values.Count; i++) values[i] = values[i].ToLowerInvariant();
                    break;
                case "upper":
                    for (int i = 0; i < values.Count; i++) values[i] = values[i].ToUpperInvariant();
                    break;
                case "required":
                    if (values.Count == 0 || values.TrueForAll(v => v.Length == 0)) return null;
                    break;
                case "hide":
                    // After 'required': the expression only decides whether the line appears.
                    values = [];
                    break;
                case "safe":
                    for (int i = 0; i < values.Count; i++) values[i] = SafeChars(values[i]);
                    break;
                case "sh":
                    for (int i = 0; i < values.Count; i++) values[i] = ShellQuote(values[i]);
                    break;
                case "first":
                    if (values.Count > 1) values.RemoveRange(1, values.Count - 1);
                    break;
                case "json":
                    values = [values.Count == 1 ? JsonSerializer.Serialize(values[0]) : JsonSerializer.Serialize(values)];
                    break;
                case "join":
                    values = [string.Join(arg ?? ", ", values)];
                    break;
                case "default":
                    if (values.Count == 0 || (values.Count == 1 && values[0].Length == 0)) values = [arg ?? ""];
                    break;
                case "ifany":
                    values = values.Count == 0 || (values.Count == 1 && values[0].Length == 0)
                        ? []
                        : [(arg ?? "%").Replace("%", string.Join(", ", values))];
                    break;
            }
        }
        return string.Join(", ", values);
    }

    /// <summary>
    /// Keeps only characters that identifiers, ports and CIDRs use, for values placed inside an already
    /// quoted shell argument where quoting them again is impossible.
    /// </summary>
    internal static string SafeChars(string s)
    {
        var sb = new StringBuilder(s.Length);
        foreach (var c in s)
            if (char.IsAsciiLetterOrDigit(c) || c is '.' or ':' or '/' or '-' or '_') sb.Append(c);
        return sb.ToString();
    }

    /// <summary>
    /// Quotes a value for a POSIX shell. Remediation commands are built from log content, which an
    /// attacker may shape; a command a responder pastes must never run more than it says.
    /// </summary>
    internal static string ShellQuote(string s)
    {
        if (s.Length > 0 && s.All(c => char.IsAsciiLetterOrDigit(c) || "-_./:=,@+%".Contains(c))) return s;
        return "'" + s.Replace("'", "'\\''") + "'";
    }
}
