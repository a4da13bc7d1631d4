using System.Globalization;
using System.Text.RegularExpressions;
using Moat.Rules;

namespace Moat.Compile;

/// <summary>
/// Compile stage: <see cref="RuleDocument"/> → <see cref="CompiledRule"/>. Operator values are turned into
/// their runtime form here (numbers parsed, regexes built, CIDRs parsed, lists made into sets), so
/// evaluation never parses or looks anything up by name.
/// </summary>
public static class RuleCompiler
{
    private static readonly string DefaultDedupKey = "{{rule.id}}:{{recipientAccountId ?? userIdentity.accountId}}:{{awsRegion}}";

    public static CompiledRule? Compile(RuleDocument doc, List<Diagnostic> diagnostics)
    {
        var c = new Compiler(diagnostics);
        var aliases = new HashSet<string>();
        CollectAliases(doc.Condition, aliases);
        var condition = c.Node(doc.Condition);
        var sevWhen = new List<(Severity, Node, string?)>();
        foreach (var sw in doc.SeverityWhen)
            if (c.Node(sw.Condition) is { } n) sevWhen.Add((sw.Severity, n, sw.Reason));
        Template? T(TemplateText? t) => t is null ? null : Template.Compile(t, aliases, diagnostics) ?? Fail();
        Template? Fail() { c.Failed = true; return null; }
        var runbook = T(doc.Runbook);
        var remediation = T(doc.Remediation);
        var resource = new List<KeyValuePair<string, Template>>();
        foreach (var (k, v) in doc.Resource)
            if (T(v) is { } t) resource.Add(new(k, t));
        TemplateText dedupText;
        if (doc.Dedup.Key is { } key) dedupText = key;
        else
        {
            // Default key: the rule plus account, region and the resource the rule names as its id.
            var idTemplate = doc.Resource.FirstOrDefault(r => r.Key == "id").Value?.Text;
            dedupText = new TemplateText(DefaultDedupKey + (idTemplate is null ? "" : ":" + idTemplate), doc.Span);
        }
        // A default key embeds the resource id template, whose errors are already reported where it is written.
        var dedup = doc.Dedup.Key is null ? Template.Compile(dedupText, aliases, []) ?? Fail() : T(dedupText);
        var findingTitle = T(doc.FindingTitle);

        var (names, sources) = IndexKeys(doc.Condition);
        if (names is null)
            diagnostics.Add(new Diagnostic(DiagnosticCodes.NotIndexed, DiagnosticLevel.Warning, doc.Condition.Span,
                $"rule '{doc.Id}' does not pin eventName at the top of its condition, so every event visits it"));

        if (c.Failed || condition is null || dedup is null) return null;
        return new CompiledRule(doc, condition, [.. sevWhen], runbook, remediation, dedup, [.. resource], names, sources, aliases.Count > 0)
        {
            FindingTitle = findingTitle,
            Literals = names is null ? RequiredLiterals(doc.Condition) : null,
        };
    }

    private static void CollectAliases(ConditionSyntax s, HashSet<string> into)
    {
        switch (s)
        {
            case AllSyntax a: foreach (var i in a.Items) CollectAliases(i, into); break;
            case AnySyntax a: foreach (var i in a.Items) CollectAliases(i, into); break;
            case NotSyntax n: CollectAliases(n.Inner, into); break;
            case ItemsSyntax it:
                if (it.Alias is not null) into.Add(it.Alias);
                CollectAliases(it.Where, into);
                break;
        }
    }

    /// <summary>
    /// The index keys: eventName/eventSource equality tests that every match must satisfy. Found at the top of
    /// the condition, inside nested all (all of all is still all), and across any whose every branch pins
    /// them (the union). Anything under a not, or in only some branches, could be absent, so it is not used.
    /// Equality may be case-insensitive (Sigma): the index compares names without regard to case.
    /// </summary>
    internal static (string[]? Names, string[]? Sources) IndexKeys(ConditionSyntax root)
    {
        switch (root)
        {
            case FieldSyntax f:
            {
                var ops = f.Operators.Where(o => o.Name != "ignore_case").ToList();
                if (ops.Count != 1 || ops[0].Name is not ("equals" or "in")) return (null, null);
                string[]? values = ops[0].Value switch
                {
                    YScalar sc => [sc.Value],
                    YSequence seq when seq.Items.All(i => i is YScalar) => seq.Items.Select(i => ((YScalar)i).Value).ToArray(),
                    _ => null,
                };
                return f.Path switch
                {
                    "eventName" => (values, null),
                    "eventSource" => (null, values),
                    _ => (null, null),
                };
            }
            case AllSyntax all:
            {
                string[]? names = null, sources = null;
                foreach (var item in all.Items)
                {
                    var (n, s) = IndexKeys(item);
                    if (n is not null && (names is null || n.Length < names.Length)) names = n;
                    if (s is not null && (sources is null || s.Length < sources.Length)) sources = s;
                }
                return (names, sources);
            }
            case AnySyntax any:
            {
                var names = new List<string>();
                var sources = new List<string>();
                bool allNames = true, allSources = true;
                foreach (var item in any.Items)
                {
                    var (n, s) = IndexKeys(item);
                    if (n is null) allNames = false; else names.AddRange(n);
                    if (s is null) allSources = false; else sources.AddRange(s);
                }
                return (allNames ? names.Distinct().ToArray() : null, allSources ? sources.Distinct().ToArray() : null);
            }
            default:
                return (null, null);
        }
    }

    /// <summary>
    /// Texts of which at least one must appear (ignoring case) in the raw JSON of any event the condition
    /// matches, or null when no such set can be named. It lets a rule that does not pin eventName skip most
    /// events without parsing them. Only printable ASCII without quotes or backslashes qualifies: such text
    /// appears in JSON as written. Numbers do not (5432 may be written 5.432e3).
    /// </summary>
    internal static string[]? RequiredLiterals(ConditionSyntax c)
    {
        switch (c)
        {
            case FieldSyntax f:
            {
                string[]? best = null;
                foreach (var op in f.Operators)
                {
                    var values = op.Value switch
                    {
                        YScalar sc => new List<string> { sc.Value },
                        YSequence q when q.Items.All(i => i is YScalar) => q.Items.Select(i => ((YScalar)i).Value).ToList(),
                        _ => null,
                    };
                    if (values is null) continue;
                    List<string?>? lits = op.Name switch
                    {
                        "equals" or "in" or "contains" or "startswith" or "endswith" => values.All(v => !IsNumber(v)) ? values.Cast<string?>().ToList() : null,
                        "wildcard" => values.Select(LongestGlobLiteral).ToList(),
                        "regex" => values.Select(LongestRegexLiteral).ToList(),
                        _ => null,
                    };
                    if (lits is null || lits.Any(l => l is null || l.Length == 0 || !Safe(l))) continue;
                    var set = lits.Select(l => l!).Distinct(StringComparer.OrdinalIgnoreCase).ToArray();
                    if (best is null || MinLen(set) > MinLen(best)) best = set;
                }
                return best;
            }
            case AllSyntax all:
            {
                string[]? best = null;
                foreach (var i in all.Items)
                    if (RequiredLiterals(i) is { } l && (best is null || MinLen(l) > MinLen(best))) best = l;
                return best;
            }
            case AnySyntax any:
            {
                var union = new List<string>();
                foreach (var i in any.Items)
                {
                    if (RequiredLiterals(i) is not { } l) return null;
                    union.AddRange(l);
                }
                return union.Distinct(StringComparer.OrdinalIgnoreCase).ToArray();
            }
            case ItemsSyntax { Quantifier: Quantifier.Any or Quantifier.All } items:
                return RequiredLiterals(items.Where);
            default:
                return null;
        }

        static int MinLen(string[] s) => s.Length == 0 ? 0 : s.Min(x => x.Length);
        // Common JSON writers escape some printable characters too (Go: < > &; .NET: also ' + `), so those are left out.
        static bool Safe(string s) => s.All(ch => ch is >= ' ' and <= '~' and not ('"' or '\\' or '<' or '>' or '&' or '\'' or '+' or '`'));
        static bool IsNumber(string s) => double.TryParse(s, System.Globalization.NumberStyles.Float, System.Globalization.CultureInfo.InvariantCulture, out _);
    }

    private static string? LongestGlobLiteral(string glob)
    {
        string best = "";
        var cur = new System.Text.StringBuilder();
        for (int i = 0; i < glob.Length; i++)
        {
            char ch = glob[i];
            if (ch == '\\' && i + 1 < glob.Length && glob[i + 1] is '*' or '?' or '\\') { cur.Append(glob[++i]); continue; }
            if (ch is '*' or '?') { if (cur.Length > best.Length) best = cur.ToString(); cur.Clear(); continue; }
            cur.Append(ch);
        }
        if (cur.Length > best.Length) best = cur.ToString();
        return best.Length >= 2 ? best : null;
    }

    /// <summary>The longest run of literal characters in a regex without alternation, or null.</summary>
    private static string? LongestRegexLiteral(string pattern)
    {
        if (pattern.Contains('|')) return null;
        if (pattern.StartsWith("(?", StringComparison.Ordinal))
        {
            int close = pattern.IndexOf(')');
            if (close < 0) return null;
            pattern = pattern[(close + 1)..];
        }
        string best = "";
        var cur = new System.Text.StringBuilder();
        for (int i = 0; i < pattern.Length; i++)
        {
            char ch = pattern[i];
            if (ch == '\\' && i + 1 < pattern.Length)
            {
                if (!char.IsLetterOrDigit(pattern[i + 1])) { cur.Append(pattern[++i]); continue; }
                // \d \s \w \b \x41 \u0041 \p{L} \1 ...: a class, an assertion or a coded character, not the letters written.
                if (cur.Length > best.Length) best = cur.ToString();
                cur.Clear();
                i = EndOfEscape(pattern, i + 1);
                continue;
            }
            // (?:...), (?<name>...), (?i:...): what follows "(?" is syntax, not text.
            if (ch == '(' && i + 1 < pattern.Length && pattern[i + 1] == '?') return null;
            if (".^$*+?()[]{}\\".Contains(ch))
            {
                // A quantifier makes the previous character optional or repeated: drop it from the run.
                if (ch is '*' or '?' or '{' && cur.Length > 0) cur.Length--;
                if (cur.Length > best.Length) best = cur.ToString();
                cur.Clear();
                if (ch == '[') { int end = ClassEnd(pattern, i); if (end < 0) return null; i = end; }
                if (ch == '{') { int end = pattern.IndexOf('}', i + 1); if (end < 0) return null; i = end; }
                continue;
            }
            cur.Append(ch);
        }
        if (cur.Length > best.Length) best = cur.ToString();
        return best.Length >= 3 ? best : null;

        // The index of the last character of the escape whose letter or digit is at i.
        static int EndOfEscape(string p, int i)
        {
            switch (p[i])
            {
                case 'x': return Skip(p, i, 2, Uri.IsHexDigit);
                case 'u': return Skip(p, i, 4, Uri.IsHexDigit);
                case 'c': return Math.Min(i + 1, p.Length - 1);
                case 'p' or 'P' or 'k':
                {
                    if (i + 1 >= p.Length) return i;
                    char close = p[i + 1] switch { '{' => '}', '<' => '>', '\'' => '\'', _ => '\0' };
                    int end = close == '\0' ? -1 : p.IndexOf(close, i + 2);
                    return end < 0 ? i : end;
                }
                default: return char.IsDigit(p[i]) ? Skip(p, i, int.MaxValue, char.IsDigit) : i;
            }
        }

        static int Skip(string p, int i, int max, Func<char, bool> part)
        {
            int n = 0;
            while (n < max && i + 1 < p.Length && part(p[i + 1])) { i++; n++; }
            return i;
        }

        // The ']' closing the class that opens at start, escapes inside it skipped.
        static int ClassEnd(string p, int start)
        {
            for (int j = start + 1; j < p.Length; j++)
            {
                if (p[j] == '\\') { j++; continue; }
                if (p[j] == ']') return j;
            }
            return -1;
        }
    }

    private sealed class Compiler(List<Diagnostic> diagnostics)
    {
        public bool Failed { get; set; }

        private void Error(string code, SourceSpan span, string message)
        {
            Failed = true;
            diagnostics.Add(new Diagnostic(code, DiagnosticLevel.Error, span, message));
        }

        public Node? Node(ConditionSyntax s)
        {
            switch (s)
            {
                case AllSyntax a:
                {
                    var items = Nodes(a.Items);
                    return items is null ? null : new AllNode(items, a.Span);
                }
                case AnySyntax a:
                {
                    var items = Nodes(a.Items);
                    return items is null ? null : new AnyNode(items, a.Span);
                }
                case NotSyntax n:
                    return Node(n.Inner) is { } inner ? new NotNode(inner, n.Span) : null;
                case ItemsSyntax it:
                {
                    var path = Path(it.Path, it.Span);
                    var where = Node(it.Where);
                    return path is null || where is null ? null : new ItemsNode(it.Quantifier, path, it.Alias, where, it.Span);
                }
                case PortRangeSyntax pr:
                {
                    var proto = Path(pr.Protocol, pr.Span);
                    var from = Path(pr.From, pr.Span);
                    var to = Path(pr.To, pr.Span);
                    var ports = new List<int>();
                    foreach (var v in Scalars(pr.Ports))
                    {
                        if (int.TryParse(v.Value, NumberStyles.Integer, CultureInfo.InvariantCulture, out var p) && p is >= 0 and <= 65535) ports.Add(p);
                        else Error(DiagnosticCodes.BadNumber, v.Span, $"'{v.Value}' is not a port number (0-65535)");
                    }
                    // No ports left means each was already reported (empty list, wrong kind, or not a port number).
                    return proto is null || from is null || to is null || ports.Count == 0 ? null : new PortRangeNode(proto, from, to, [.. ports], pr.Span);
                }
                case FieldSyntax f:
                    return Field(f);
                default:
                    throw new InvalidOperationException("unknown syntax node " + s.GetType().Name);
            }
        }

        private Node[]? Nodes(IReadOnlyList<ConditionSyntax> items)
        {
            var list = new List<Node>();
            bool ok = true;
            foreach (var i in items)
            {
                if (Node(i) is { } n) list.Add(n);
                else ok = false;
            }
            return ok ? [.. list] : null;
        }

        private FieldPath? Path(string text, SourceSpan span)
        {
            var p = FieldPath.TryParse(text);
            if (p is null) Error(DiagnosticCodes.BadPath, span, $"'{text}' is not a field path (dotted keys, e.g. requestParameters.groupId)");
            return p;
        }

        private IEnumerable<YScalar> Scalars(YValue v)
        {
            if (v is YScalar s) { yield return s; yield break; }
            if (v is YSequence q)
            {
                if (q.Items.Count == 0) Error(DiagnosticCodes.EmptyList, q.Span, "empty list of values");
                foreach (var i in q.Items)
                {
                    if (i is YScalar si) yield return si;
                    else Error(DiagnosticCodes.WrongType, i.Span, "list items must be plain values");
                }
                yield break;
            }
            Error(DiagnosticCodes.WrongType, v.Span, "expected a value or a list of values");
        }

        private bool? Bool(OperatorSyntax op)
        {
            if (op.Value is YScalar { Value: "true" or "false" } s) return s.Value == "true";
            Error(DiagnosticCodes.WrongType, op.Value.Span, $"'{op.Name}' takes true or false");
            return null;
        }

        private Node? Field(FieldSyntax f)
        {
            var paths = new List<FieldPath>();
            foreach (var alt in f.Path.Split('|'))
                if (Path(alt, f.Span) is { } p) paths.Add(p);
            bool ignoreCase = false;
            foreach (var op in f.Operators)
                if (op.Name == "ignore_case") ignoreCase = Bool(op) ?? false;

            var tests = new List<ValueTest>();
            var aggregates = new List<AggregateTest>();
            foreach (var op in f.Operators)
            {
                switch (op.Name)
                {
                    case "ignore_case":
                        break;
                    case "equals" or "in":
                    {
                        var vals = Scalars(op.Value).ToList();
                        if (vals.Any(v => v.IsNull))
                        {
                            Error(DiagnosticCodes.WrongType, op.Span, "compare with null using 'null: true' (missing or JSON null)");
                            break;
                        }
                        if (vals.Count > 0) tests.Add(new EqualsTest([.. vals.Select(v => v.Value)], ignoreCase));
                        break;
                    }
                    case "contains" or "startswith" or "endswith":
                    {
                        var vals = Scalars(op.Value).Select(v => v.Value).ToArray();
                        var kind = op.Name switch { "contains" => StringOp.Contains, "startswith" => StringOp.StartsWith, _ => StringOp.EndsWith };
                        if (vals.Length > 0) tests.Add(new StringTest(kind, vals, ignoreCase));
                        break;
                    }
                    case "regex":
                    {
                        var regexes = new List<Regex>();
                        foreach (var v in Scalars(op.Value))
                        {
                            try
                            {
                                var options = RegexOptions.NonBacktracking | RegexOptions.CultureInvariant | (ignoreCase ? RegexOptions.IgnoreCase : 0);
                                regexes.Add(new Regex(v.Value, options));
                            }
                            catch (Exception ex) when (ex is ArgumentException or NotSupportedException)
                            {
                                Error(DiagnosticCodes.BadRegex, v.Span, $"regex '{v.Value}' does not compile: {ex.Message}");
                            }
                        }
                        if (regexes.Count > 0) tests.Add(new RegexTest([.. regexes]));
                        break;
                    }
                    case "gt" or "gte" or "lt" or "lte":
                    {
                        if (op.Value is YScalar s && double.TryParse(s.Value, NumberStyles.Float, CultureInfo.InvariantCulture, out var d))
                            tests.Add(new NumberTest(op.Name switch { "gt" => CompareOp.Gt, "gte" => CompareOp.Gte, "lt" => CompareOp.Lt, _ => CompareOp.Lte }, d));
                        else Error(DiagnosticCodes.BadNumber, op.Value.Span, $"'{op.Name}' takes a number");
                        break;
                    }
                    case "cidr":
                    {
                        var nets = new List<Cidr>();
                        var texts = new List<string>();
                        foreach (var v in Scalars(op.Value))
                        {
                            if (Cidr.TryParse(v.Value, out var c)) { nets.Add(c); texts.Add(v.Value); }
                            else Error(DiagnosticCodes.BadCidr, v.Span, $"'{v.Value}' is not a CIDR block or IP address");
                        }
                        if (nets.Count > 0) tests.Add(new CidrTest([.. nets], [.. texts]));
                        break;
                    }
                    case "equals_field" or "contains_field" or "startswith_field" or "endswith_field":
                    {
                        StringOp? mode = op.Name switch { "contains_field" => StringOp.Contains, "startswith_field" => StringOp.StartsWith, "endswith_field" => StringOp.EndsWith, _ => null };
                        if (op.Value is YScalar fs && Path(fs.Value, fs.Span) is { } other) tests.Add(new FieldRefTest(other, ignoreCase, mode));
                        else if (op.Value is not YScalar) Error(DiagnosticCodes.WrongType, op.Value.Span, $"{op.Name} takes one field path");
                        break;
                    }
                    case "wildcard":
                    {
                        var vals = Scalars(op.Value).Select(v => v.Value).ToArray();
                        if (vals.Length > 0) tests.Add(new WildcardTest(vals, ignoreCase));
                        break;
                    }
                    case "time_part":
                        break; // handled below: it wraps the other value tests
                    case "exists":
                        if (Bool(op) is { } e) aggregates.Add(new ExistsTest(e));
                        break;
                    case "null":
                        if (Bool(op) is { } n) aggregates.Add(new NullTest(n));
                        break;
                    case "covers_all_addresses":
                        if (Bool(op) is { } cv) aggregates.Add(new CoversAllAddressesTest(cv));
                        break;
                    default:
                        Error(DiagnosticCodes.UnknownOperator, op.Span,
                            $"unknown operator '{op.Name}' for field '{f.Path}' (equals, in, wildcard, equals_field, contains_field, startswith_field, endswith_field, contains, startswith, endswith, regex, gt, gte, lt, lte, cidr, exists, null, covers_all_addresses, time_part, ignore_case)");
                        break;
                }
            }
            if (f.Operators.FirstOrDefault(o => o.Name == "time_part") is { } tp)
            {
                if (tp.Value is YScalar { Value: "minute" or "hour" or "day" or "week" or "month" or "year" } part)
                {
                    if (tests.Count == 0) Error(DiagnosticCodes.EmptyList, tp.Span, "time_part needs a value test to apply to (equals, gt, ...)");
                    else tests = [new TimePartTest(part.Value, [.. tests])];
                }
                else Error(DiagnosticCodes.WrongType, tp.Value.Span, "time_part is one of minute, hour, day, week, month, year");
            }
            if (paths.Count == 0) return null;
            if (tests.Count == 0 && aggregates.Count == 0)
            {
                if (!Failed) Error(DiagnosticCodes.EmptyList, f.Span, $"field '{f.Path}' has no test (ignore_case alone tests nothing)");
                return null;
            }
            return new FieldNode([.. paths], [.. tests], [.. aggregates], f.Span);
        }
    }
}
