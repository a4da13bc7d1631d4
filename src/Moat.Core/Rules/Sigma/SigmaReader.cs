using System.Text;
using System.Text.RegularExpressions;
using Moat.Compile;

namespace Moat.Rules.Sigma;

/// <summary>
/// The Sigma front end: Sigma 2.1 YAML documents → Moat <see cref="RuleDocument"/>s (plus correlations and
/// filters as plain data). Sigma is translated into Moat's own condition model at load time, so one
/// compiler, one evaluator and one index serve both languages.
///
/// Semantics (specification 2.1.0; pySigma where it is silent): values match case-insensitively unless
/// <c>|cased</c>; <c>*</c>/<c>?</c> wildcards with <c>\</c> escapes; a list is OR, a map AND, a list of maps OR
/// of ANDs; <c>|all</c> makes a list AND; <c>null</c> is missing or JSON null; JSON numbers and booleans compare
/// as their text; arrays match when any element does; contains on an object looks into its values.
/// </summary>
public static partial class SigmaReader
{
    private static readonly HashSet<string> KnownModifiers =
    [
        "contains", "startswith", "endswith", "all", "cased", "exists", "re", "i", "m", "s", "cidr", "base64", "base64offset",
        "utf16le", "utf16be", "utf16", "wide", "windash", "lt", "lte", "gt", "gte", "neq", "fieldref", "expand",
        "minute", "hour", "day", "week", "month", "year",
    ];

    private static readonly Dictionary<string, string> TacticIds = new(StringComparer.OrdinalIgnoreCase)
    {
        ["reconnaissance"] = "TA0043", ["resource-development"] = "TA0042", ["initial-access"] = "TA0001", ["execution"] = "TA0002",
        ["persistence"] = "TA0003", ["privilege-escalation"] = "TA0004", ["defense-evasion"] = "TA0005",
        // ATT&CK v17 split Defense Evasion; Sigma tags the stealth half "stealth". Moat maps it to TA0005.
        ["stealth"] = "TA0005", ["defense-impairment"] = "TA0005",
        ["credential-access"] = "TA0006", ["discovery"] = "TA0007", ["lateral-movement"] = "TA0008", ["collection"] = "TA0009",
        ["exfiltration"] = "TA0010", ["command-and-control"] = "TA0011", ["impact"] = "TA0040",
    };

    [GeneratedRegex(@"^t\d{4}(\.\d{3})?$", RegexOptions.IgnoreCase)]
    private static partial Regex TechniqueTag();

    // "\%" is a plain percent sign (specification: "field|expand: \%plain%name%" has the one placeholder %name%).
    [GeneratedRegex(@"(?<!\\)%([^%\s]+)%")]
    private static partial Regex Placeholder();

    /// <summary>Is this YAML (any of its documents) Sigma rather than a Moat rule?</summary>
    public static bool LooksLikeSigma(IReadOnlyList<YValue> docs) =>
        docs.Any(d => d is YMapping m && ((m["logsource"] is not null && m["detection"] is not null) || m["correlation"] is not null || (m["filter"] is not null && m["logsource"] is not null)
            || m["action"] is YScalar { Value: "global" }));

    public static SigmaDocuments Read(IReadOnlyList<YValue> docs, string file, SigmaOptions options, List<Diagnostic> diagnostics, List<string> notes)
    {
        var result = new SigmaDocuments([], [], []);
        YMapping? global = null;
        foreach (var d in docs)
        {
            if (d is not YMapping m)
            {
                diagnostics.Add(new Diagnostic(DiagnosticCodes.WrongType, DiagnosticLevel.Error, d.Span, "a Sigma document is a mapping"));
                continue;
            }
            // "action: global" documents (Sigma 1.x collections) hold keys shared by the following documents.
            if (m["action"] is YScalar { Value: "global" }) { global = m; continue; }
            if (m["action"] is YScalar { Value: "reset" }) { global = null; continue; }
            var doc = global is null ? m : Merge(global, m);
            var ctx = new Ctx(file, diagnostics, options);
            if (doc["correlation"] is not null)
            {
                if (ReadCorrelation(doc, ctx) is { } c) result.Correlations.Add(c);
            }
            else if (doc["filter"] is not null && doc["detection"] is null)
            {
                if (ReadFilter(doc, ctx) is { } f) result.Filters.Add(f);
            }
            else if (doc["detection"] is not null)
            {
                if (!IsCloudTrail(doc, out var what))
                {
                    notes.Add($"{file}:{doc.Span.Line}: Sigma rule '{Text(doc["title"]) ?? Text(doc["id"]) ?? "?"}' is for {what}, not AWS CloudTrail; skipped");
                    continue;
                }
                if (ReadRule(doc, ctx) is { } r) result.Rules.Add(r);
            }
            else
            {
                diagnostics.Add(new Diagnostic(DiagnosticCodes.MissingField, DiagnosticLevel.Error, doc.Span, "a Sigma document needs detection, correlation or filter"));
            }
        }
        return result;
    }

    /// <summary>
    /// Sigma 1 collections merge nested maps too (a global condition with per-document searches, a global
    /// product with per-document services); between two plain values the document's own wins.
    /// </summary>
    private static YMapping Merge(YMapping global, YMapping doc)
    {
        var entries = new List<KeyValuePair<YScalar, YValue>>();
        foreach (var e in doc.Entries)
            entries.Add(e.Value is YMapping dm && global[e.Key.Value] is YMapping gm ? new(e.Key, Merge(gm, dm)) : e);
        foreach (var g in global.Entries)
            if (doc[g.Key.Value] is null && g.Key.Value != "action") entries.Add(g);
        return new YMapping(entries, doc.Span);
    }

    private static bool IsCloudTrail(YMapping doc, out string what)
    {
        var ls = doc["logsource"] as YMapping;
        string? product = Text(ls?["product"])?.ToLowerInvariant();
        string? service = Text(ls?["service"])?.ToLowerInvariant();
        what = $"logsource product={product ?? "-"} service={service ?? "-"}";
        return product == "aws" && (service is null or "cloudtrail");
    }

    private static string? Text(YValue? v) => v is YScalar s && !s.IsNull ? s.Value : null;

    private static IReadOnlyList<string> Texts(YValue? v) => v switch
    {
        YScalar s when !s.IsNull => [s.Value],
        YSequence q => q.Items.OfType<YScalar>().Where(s => !s.IsNull).Select(s => s.Value).ToList(),
        _ => [],
    };

    private static Severity Level(YMapping doc, Ctx ctx)
    {
        var level = Text(doc["level"])?.ToLowerInvariant();
        switch (level)
        {
            case null: return Severity.Medium;
            case "informational": return Severity.Info;
            default:
                if (SeverityNames.TryParse(level, out var s)) return s;
                ctx.Error(DiagnosticCodes.BadSeverity, doc["level"]!.Span, $"level '{level}' is not one of informational, low, medium, high, critical");
                return Severity.Medium;
        }
    }

    /// <summary>attack.t1078.004 → technique; attack.initial-access → tactic; pairs them in tag order.</summary>
    private static List<MitreRef> Mitre(IReadOnlyList<string> tags)
    {
        var tactics = new List<string>();
        var techniques = new List<string>();
        foreach (var t in tags)
        {
            if (!t.StartsWith("attack.", StringComparison.OrdinalIgnoreCase)) continue;
            var rest = t[7..];
            if (TechniqueTag().IsMatch(rest)) techniques.Add(rest.ToUpperInvariant());
            else if (TacticIds.TryGetValue(rest, out var id) && !tactics.Contains(id)) tactics.Add(id);
        }
        var list = new List<MitreRef>();
        foreach (var tech in techniques) list.Add(new MitreRef(tactics.Count > 0 ? tactics[0] : null, tech));
        foreach (var tac in tactics.Skip(techniques.Count > 0 ? 1 : 0)) list.Add(new MitreRef(tac, null));
        return list;
    }

    private static string RuleId(YMapping doc, Ctx ctx, string kind)
    {
        if (Text(doc["id"]) is { } id) return id;
        if (Text(doc["name"]) is { } name) return name;
        ctx.Error(DiagnosticCodes.MissingField, doc.Span, $"a Sigma {kind} needs an id (or a name)");
        return "";
    }

    private static RuleDocument? ReadRule(YMapping doc, Ctx ctx)
    {
        var id = RuleId(doc, ctx, "rule");
        var title = Text(doc["title"]) ?? id;
        if (doc["detection"] is not YMapping detection)
        {
            ctx.Error(DiagnosticCodes.WrongType, doc["detection"]!.Span, "detection is a mapping of search identifiers and a condition");
            return null;
        }
        var condition = Detection(detection, ctx);
        var severity = Level(doc, ctx);
        if (condition is null || ctx.Failed) return null;
        var tags = Texts(doc["tags"]);
        var author = Text(doc["author"]);
        var span = new SourceSpan(ctx.File, doc.Span.Line, doc.Span.Column);
        var runbook = new TemplateText(
            "1. Review the event: {{eventName}} on {{eventSource}} by {{userIdentity.arn ?? userIdentity.principalId}} from {{sourceIPAddress}} at {{eventTime}} ({{recipientAccountId}}/{{awsRegion}}).\n" +
            "2. Check the rule's false positives" + (doc["falsepositives"] is null ? "" : " (" + string.Join("; ", Texts(doc["falsepositives"])).Replace("{", "(").Replace("}", ")") + ")") + " and its references.\n" +
            "3. Ask the owner of the identity whether the activity was intended; look at what else it did around {{eventTime}}.",
            span);
        return new RuleDocument(id, title, Text(doc["description"]) ?? "", severity, [], Mitre(tags), tags,
            Texts(doc["references"]), [], [], runbook, null, new DedupSpec(null, TimeSpan.FromMinutes(60)), condition, [],
            [], Texts(doc["falsepositives"]), author, span)
        {
            Kind = "sigma",
            SigmaName = Text(doc["name"]),
            Strategy = "Sigma rule" + (Text(doc["status"]) is { } st ? $" (status {st})" : "") + ", translated into Moat's condition model: " + string.Join(" ", Text(doc["detection"] is YMapping dm ? dm["condition"] : null) ?? "see the condition below"),
            SeverityReason = "the Sigma rule's level",
        };
    }

    private static SigmaFilter? ReadFilter(YMapping doc, Ctx ctx)
    {
        var id = RuleId(doc, ctx, "filter");
        if (doc["filter"] is not YMapping f)
        {
            ctx.Error(DiagnosticCodes.WrongType, doc["filter"]!.Span, "filter is a mapping with rules, search identifiers and a condition");
            return null;
        }
        var rules = Texts(f["rules"]);
        if (rules.Count == 0) ctx.Error(DiagnosticCodes.MissingField, f.Span, "a Sigma filter names the rules it applies to (filter.rules)");
        var entries = f.Entries.Where(e => e.Key.Value != "rules").ToList();
        var cond = Detection(new YMapping(entries, f.Span), ctx);
        return cond is null || ctx.Failed ? null : new SigmaFilter(id, rules, cond, new SourceSpan(ctx.File, doc.Span.Line, doc.Span.Column));
    }

    private static SigmaCorrelation? ReadCorrelation(YMapping doc, Ctx ctx)
    {
        var id = RuleId(doc, ctx, "correlation");
        if (doc["correlation"] is not YMapping c)
        {
            ctx.Error(DiagnosticCodes.WrongType, doc["correlation"]!.Span, "correlation is a mapping (type, rules, group-by, timespan, condition)");
            return null;
        }
        var typeText = Text(c["type"]);
        CorrelationType? type = typeText switch
        {
            "event_count" => CorrelationType.EventCount,
            "value_count" => CorrelationType.ValueCount,
            "temporal" => CorrelationType.Temporal,
            "temporal_ordered" => CorrelationType.TemporalOrdered,
            "value_sum" => CorrelationType.ValueSum,
            "value_avg" => CorrelationType.ValueAvg,
            "value_percentile" => CorrelationType.ValuePercentile,
            _ => null,
        };
        if (type is null)
        {
            ctx.Error(DiagnosticCodes.UnknownOperator, c["type"]?.Span ?? c.Span,
                $"correlation type '{typeText}' is not one of event_count, value_count, temporal, temporal_ordered, value_sum, value_avg, value_percentile");
            return null;
        }
        var rules = Texts(c["rules"]);
        if (rules.Count == 0) ctx.Error(DiagnosticCodes.MissingField, c.Span, "a correlation needs rules");
        var timespanText = Text(c["timespan"]) ?? Text(c["timeframe"]);
        TimeSpan timespan = default;
        if (timespanText is null) ctx.Error(DiagnosticCodes.MissingField, c.Span, "a correlation needs a timespan (e.g. 10m)");
        else if (!RuleReader.TryParseDuration(timespanText, out timespan) || timespan <= TimeSpan.Zero)
            ctx.Error(DiagnosticCodes.BadDuration, (c["timespan"] ?? c["timeframe"])!.Span, $"'{timespanText}' is not a timespan like 30s, 10m, 1h or 2d");
        var groupBy = Texts(c["group-by"]);

        var comparisons = new List<(string, double)>();
        string? field = null;
        double? percentile = null;
        if (c["condition"] is YMapping cm)
        {
            foreach (var (k, v) in cm.Entries)
            {
                switch (k.Value)
                {
                    case "field": field = Text(v); break;
                    case "percentile":
                        if (double.TryParse(Text(v), System.Globalization.CultureInfo.InvariantCulture, out var pc)) percentile = pc;
                        else ctx.Error(DiagnosticCodes.BadNumber, v.Span, "percentile is a number");
                        break;
                    case "gt" or "gte" or "lt" or "lte" or "eq" or "neq":
                        if (double.TryParse(Text(v), System.Globalization.CultureInfo.InvariantCulture, out var n)) comparisons.Add((k.Value, n));
                        else ctx.Error(DiagnosticCodes.BadNumber, v.Span, $"'{k.Value}' takes a number");
                        break;
                    default:
                        ctx.Error(DiagnosticCodes.UnknownOperator, k.Span, $"unknown correlation condition '{k.Value}' (gt, gte, lt, lte, eq, neq, field, percentile)");
                        break;
                }
            }
        }
        bool temporal = type is CorrelationType.Temporal or CorrelationType.TemporalOrdered;
        if (comparisons.Count == 0 && !temporal)
            ctx.Error(DiagnosticCodes.MissingField, c.Span, "this correlation type needs a condition such as gte: 10");
        if (type is CorrelationType.ValueCount or CorrelationType.ValueSum or CorrelationType.ValueAvg or CorrelationType.ValuePercentile && field is null)
            ctx.Error(DiagnosticCodes.MissingField, c["condition"]?.Span ?? c.Span, $"{typeText} needs condition.field");
        if (temporal && comparisons.Count == 0) comparisons.Add(("gte", rules.Count));

        var aliases = new Dictionary<string, IReadOnlyDictionary<string, string>>();
        if (c["aliases"] is YMapping am)
            foreach (var (alias, map) in am.Entries)
            {
                var perRule = new Dictionary<string, string>();
                if (map is YMapping pm)
                    foreach (var (rule, f) in pm.Entries) if (Text(f) is { } ft) perRule[rule.Value] = ft;
                aliases[alias.Value] = perRule;
            }
        bool generate = Text(c["generate"]) is "true";
        var tags = Texts(doc["tags"]);
        var severity = Level(doc, ctx);
        if (ctx.Failed || type is null) return null;
        return new SigmaCorrelation(id, Text(doc["name"]), Text(doc["title"]) ?? id, Text(doc["description"]) ?? "", type.Value, rules, groupBy, timespan,
            new CorrelationCondition(comparisons, field, percentile), aliases, generate, severity, Mitre(tags), tags,
            Texts(doc["references"]), Texts(doc["falsepositives"]), Text(doc["author"]), new SourceSpan(ctx.File, doc.Span.Line, doc.Span.Column));
    }

    // ---- detection ---------------------------------------------------------------------------------

    private static ConditionSyntax? Detection(YMapping detection, Ctx ctx)
    {
        var searches = new Dictionary<string, ConditionSyntax>(StringComparer.Ordinal);
        var order = new List<string>();
        var failed = new HashSet<string>(StringComparer.Ordinal);
        YValue? condition = null;
        foreach (var (key, value) in detection.Entries)
        {
            if (key.Value == "condition") { condition = value; continue; }
            if (key.Value == "timeframe")
            {
                ctx.Error(DiagnosticCodes.SigmaUnsupported, key.Span, "'timeframe' belongs to the removed Sigma 1 aggregation syntax; write a correlation rule (event_count with timespan) instead");
                continue;
            }
            var s = Search(value, ctx);
            if (s is not null) { searches[key.Value] = s; order.Add(key.Value); }
            else failed.Add(key.Value);
        }
        if (condition is null)
        {
            ctx.Error(DiagnosticCodes.MissingField, detection.Span, "detection needs a condition");
            return null;
        }
        var conditions = condition switch
        {
            YScalar s => [s],
            YSequence q => q.Items.OfType<YScalar>().ToList(),
            _ => [],
        };
        if (conditions.Count == 0)
        {
            ctx.Error(DiagnosticCodes.WrongType, condition.Span, "condition is an expression or a list of expressions");
            return null;
        }
        var parsed = new List<ConditionSyntax>();
        foreach (var c in conditions)
            if (new ConditionParser(c, searches, order, failed, ctx).Parse() is { } p) parsed.Add(p);
        if (parsed.Count != conditions.Count) return null;
        return parsed.Count == 1 ? parsed[0] : new AnySyntax(parsed, condition.Span);
    }

    /// <summary>A search identifier's definition: map (AND), list of maps (OR), list of keywords (OR).</summary>
    private static ConditionSyntax? Search(YValue value, Ctx ctx)
    {
        switch (value)
        {
            case YMapping m:
            {
                if (m.Entries.Count == 0) { ctx.Error(DiagnosticCodes.EmptyList, m.Span, "empty search identifier"); return null; }
                var items = new List<ConditionSyntax>();
                foreach (var (k, v) in m.Entries)
                    if (FieldItem(k, v, ctx) is { } item) items.Add(item);
                return items.Count == m.Entries.Count ? All(items, m.Span) : null;
            }
            case YSequence q:
            {
                if (q.Items.Count == 0) { ctx.Error(DiagnosticCodes.EmptyList, q.Span, "empty search identifier"); return null; }
                if (q.Items.All(i => i is YMapping))
                {
                    var alts = q.Items.Select(i => Search(i, ctx)).ToList();
                    return alts.Any(a => a is null) ? null : Any(alts!, q.Span);
                }
                if (q.Items.All(i => i is YScalar))
                    return FieldItem(new YScalar("", false, q.Span), q, ctx); // keywords
                ctx.Error(DiagnosticCodes.WrongType, q.Span, "a search list holds either maps or plain values (keywords), not both");
                return null;
            }
            case YScalar s:
                return FieldItem(new YScalar("", false, s.Span), new YSequence([s], s.Span), ctx); // one keyword
            default:
                return null;
        }
    }

    private static ConditionSyntax All(List<ConditionSyntax> items, SourceSpan span)
    {
        // Flattened so that eventName/eventSource tests sit at the top of the rule, where the index finds them.
        var flat = new List<ConditionSyntax>();
        foreach (var i in items)
            if (i is AllSyntax a) flat.AddRange(a.Items);
            else flat.Add(i);
        return flat.Count == 1 ? flat[0] : new AllSyntax(flat, span);
    }

    private static ConditionSyntax Any(List<ConditionSyntax> items, SourceSpan span)
    {
        var flat = new List<ConditionSyntax>();
        foreach (var i in items)
            if (i is AnySyntax a) flat.AddRange(a.Items);
            else flat.Add(i);
        return flat.Count == 1 ? flat[0] : new AnySyntax(flat, span);
    }

    /// <summary>One <c>field|mod|mod: value(s)</c> item (an empty field name is a keyword search).</summary>
    private static ConditionSyntax? FieldItem(YScalar key, YValue value, Ctx ctx)
    {
        var parts = key.Value.Split('|');
        var field = parts[0];
        var mods = parts.Skip(1).ToList();
        var span = key.Span;
        foreach (var mod in mods)
            if (!KnownModifiers.Contains(mod))
            {
                ctx.Error(DiagnosticCodes.UnknownOperator, span, $"unknown Sigma modifier '{mod}' in '{key.Value}'");
                return null;
            }
        bool Has(string m) => mods.Contains(m);
        string path = field.Length == 0 ? "**" : field;

        var rawValues = value switch
        {
            YSequence q => q.Items,
            _ => [value],
        };
        if (rawValues.Any(v => v is not YScalar))
        {
            ctx.Error(DiagnosticCodes.WrongType, value.Span, "Sigma values are plain values or lists of them");
            return null;
        }
        var scalars = rawValues.Cast<YScalar>().ToList();
        if (Has("all") && scalars.Count < 2)
        {
            ctx.Error(DiagnosticCodes.SigmaUnsupported, span, "'|all' needs a list of at least two values (spec: single values may not use it)");
            return null;
        }
        if (scalars.Count == 0)
        {
            ctx.Error(DiagnosticCodes.EmptyList, value.Span, "empty value list");
            return null;
        }

        // exists: presence only, the only modifier.
        if (Has("exists"))
        {
            if (mods.Count != 1 || scalars.Count != 1 || scalars[0].Value is not ("true" or "false"))
            {
                ctx.Error(DiagnosticCodes.SigmaUnsupported, span, "'|exists' takes true or false and no other modifier");
                return null;
            }
            return Field(path, span, ("exists", scalars[0].Value));
        }

        // null: missing or JSON null; may not share a list with other values.
        if (scalars.Any(s => s.IsNull))
        {
            if (scalars.Count > 1) { ctx.Error(DiagnosticCodes.WrongType, value.Span, "null may not appear in a list of values"); return null; }
            if (mods.Count > 0) { ctx.Error(DiagnosticCodes.WrongType, span, "null takes no modifiers"); return null; }
            return Field(path, span, ("null", "true"));
        }

        bool cased = Has("cased");
        var results = new List<ConditionSyntax>();
        foreach (var s in scalars)
        {
            var item = OneValue(path, s, mods, cased, span, ctx);
            if (item is null) return null;
            results.Add(item);
        }
        var combined = Has("all") ? All(results, span) : Any(results, span);
        if (Has("neq")) combined = new NotSyntax(combined, span);
        return combined;
    }

    private static ConditionSyntax? OneValue(string path, YScalar s, List<string> mods, bool cased, SourceSpan span, Ctx ctx)
    {
        bool Has(string m) => mods.Contains(m);
        string? timePart = mods.FirstOrDefault(m => m is "minute" or "hour" or "day" or "week" or "month" or "year");

        // Numbers.
        foreach (var cmp in new[] { "lt", "lte", "gt", "gte" })
        {
            if (!Has(cmp)) continue;
            if (!double.TryParse(s.Value, System.Globalization.NumberStyles.Float, System.Globalization.CultureInfo.InvariantCulture, out _))
            {
                ctx.Error(DiagnosticCodes.BadNumber, s.Span, $"'|{cmp}' needs a number, not '{s.Value}'");
                return null;
            }
            return timePart is null ? Field(path, span, (cmp, s.Value)) : Field(path, span, (cmp, s.Value), ("time_part", timePart));
        }
        if (timePart is not null) return Field(path, span, ("equals", s.Value), ("time_part", timePart));

        if (Has("cidr"))
        {
            if (!Cidr.TryParse(s.Value, out var c) || !IsNetworkAddress(s.Value, c))
            {
                ctx.Error(DiagnosticCodes.BadCidr, s.Span, $"'{s.Value}' is not a CIDR block with its host bits clear");
                return null;
            }
            return Field(path, span, ("cidr", s.Value));
        }

        if (Has("re"))
        {
            if (mods.IndexOf("re") != 0 && mods.Take(mods.IndexOf("re")).Any(m => m is not ("cased")))
            {
                ctx.Error(DiagnosticCodes.SigmaUnsupported, span, "no modifier may come before '|re'");
                return null;
            }
            var flags = (Has("i") ? "i" : "") + (Has("m") ? "m" : "") + (Has("s") ? "s" : "");
            var pattern = flags.Length > 0 ? $"(?{flags}){s.Value}" : s.Value;
            return Field(path, span, ("regex", pattern));
        }

        if (Has("fieldref"))
        {
            var op = Has("contains") ? "contains_field" : Has("startswith") ? "startswith_field" : Has("endswith") ? "endswith_field" : "equals_field";
            return cased ? Field(path, span, (op, s.Value)) : Field(path, span, (op, s.Value), ("ignore_case", "true"));
        }

        // Strings: placeholders, windash and encodings make the value list; then the match kind.
        var values = new List<string> { s.Value };
        if (Has("expand"))
        {
            var expanded = new List<string>();
            foreach (var v in values)
            {
                var names = Placeholder().Matches(v).Select(m => m.Groups[1].Value).Distinct().ToList();
                var current = new List<string> { v };
                foreach (var name in names)
                {
                    if (!ctx.Options.Placeholders.TryGetValue(name, out var replacements) || replacements.Count == 0)
                    {
                        ctx.Error(DiagnosticCodes.SigmaPlaceholder, s.Span,
                            $"placeholder '%{name}%' has no values; give them with --sigma-placeholder {name}=VALUE[,VALUE]");
                        return null;
                    }
                    var one = new Regex(@"(?<!\\)%" + Regex.Escape(name) + "%");
                    current = current.SelectMany(c => replacements.Select(r => one.Replace(c, _ => r))).ToList();
                }
                expanded.AddRange(current.Select(c => c.Replace("\\%", "%")));
            }
            values = expanded;
        }
        if (Has("windash")) values = values.SelectMany(Windash).Distinct().ToList();

        bool encoded = false;
        if (Has("base64") || Has("base64offset") || Has("utf16le") || Has("utf16be") || Has("utf16") || Has("wide"))
        {
            var encodedValues = new List<string>();
            foreach (var v in values)
            {
                if (WildcardTest.HasWildcards(v) && (Has("base64") || Has("base64offset")))
                {
                    ctx.Error(DiagnosticCodes.SigmaUnsupported, s.Span, "base64 values may not contain wildcards");
                    return null;
                }
                byte[] bytes = Has("utf16le") || Has("wide") ? Encoding.Unicode.GetBytes(v)
                    : Has("utf16be") ? Encoding.BigEndianUnicode.GetBytes(v)
                    : Has("utf16") ? [0xFF, 0xFE, .. Encoding.Unicode.GetBytes(v)]
                    : Encoding.UTF8.GetBytes(v);
                if (Has("base64")) encodedValues.Add(Convert.ToBase64String(bytes));
                else if (Has("base64offset")) encodedValues.AddRange(Base64Offsets(bytes));
                else encodedValues.Add(Encoding.Latin1.GetString(bytes));
            }
            values = encodedValues.Select(EscapeGlob).ToList();
            encoded = true;
        }

        // A keyword (no field) is searched for inside every value of the event, like contains.
        bool keyword = path == "**" && !Has("startswith") && !Has("endswith");
        var alternatives = new List<ConditionSyntax>();
        foreach (var v in values)
        {
            // base64offset is matched with contains by definition: the fragment sits inside a longer string.
            string glob = Has("contains") || keyword || (encoded && Has("base64offset") && !Has("startswith") && !Has("endswith")) ? $"*{v}*"
                : Has("startswith") ? $"{v}*"
                : Has("endswith") ? $"*{v}"
                : v;
            alternatives.Add(Match(path, glob, cased, span));
        }
        return Any(alternatives, span);
    }

    private static ConditionSyntax Match(string path, string glob, bool cased, SourceSpan span)
    {
        if (WildcardTest.HasWildcards(glob))
        {
            // The common shapes *x*, x* and *x (contains, startswith, endswith) become plain string tests:
            // cheaper to build and to run than a pattern. The semantics are the same.
            string? op = null;
            string inner = glob;
            if (glob.Length > 2 && glob[0] == '*' && glob[^1] == '*' && !IsEscapedEnd(glob) && !WildcardTest.HasWildcards(glob[1..^1])) { op = "contains"; inner = glob[1..^1]; }
            else if (glob.Length > 1 && glob[^1] == '*' && !IsEscapedEnd(glob) && !WildcardTest.HasWildcards(glob[..^1])) { op = "startswith"; inner = glob[..^1]; }
            else if (glob.Length > 1 && glob[0] == '*' && !WildcardTest.HasWildcards(glob[1..])) { op = "endswith"; inner = glob[1..]; }
            if (op is not null)
            {
                var text = WildcardTest.Unescape(inner);
                return cased ? Field(path, span, (op, text)) : Field(path, span, (op, text), ("ignore_case", "true"));
            }
            // "*" alone (Sigma's idiom for "the field is there") matches any text, the empty one included, as the spec says.
            return cased ? Field(path, span, ("wildcard", glob)) : Field(path, span, ("wildcard", glob), ("ignore_case", "true"));
        }
        var literal = WildcardTest.Unescape(glob);
        return cased ? Field(path, span, ("equals", literal)) : Field(path, span, ("equals", literal), ("ignore_case", "true"));
    }

    /// <summary>Is the last '*' escaped (a literal star), counting the backslashes before it?</summary>
    private static bool IsEscapedEnd(string glob)
    {
        int backslashes = 0;
        for (int i = glob.Length - 2; i >= 0 && glob[i] == '\\'; i--) backslashes++;
        return backslashes % 2 == 1;
    }

    private static FieldSyntax Field(string path, SourceSpan span, params (string Op, string Value)[] ops) =>
        new(path, ops.Select(o => new OperatorSyntax(o.Op, new YScalar(o.Value, true, span), span)).ToList(), span);

    private static string EscapeGlob(string s) => s.Replace("\\", "\\\\").Replace("*", "\\*").Replace("?", "\\?");

    private static bool IsNetworkAddress(string text, Cidr c)
    {
        // Sigma (pySigma) rejects a block whose host bits are set: 10.1.2.3/8 is a mistake, not 10.0.0.0/8.
        var addr = text.Split('/')[0];
        return Cidr.TryParse(addr, out var a) && a.First == c.First;
    }

    /// <summary>
    /// windash: every '-' or '/' that starts a word (after the start or a non-word character, before a word
    /// character: pySigma's <c>\B[-/]\b</c>) in each of the five dash forms.
    /// </summary>
    internal static IEnumerable<string> Windash(string value)
    {
        static bool IsWord(char c) => char.IsLetterOrDigit(c) || c == '_';
        var positions = new List<int>();
        for (int i = 0; i < value.Length; i++)
            if (value[i] is '-' or '/' && (i == 0 || !IsWord(value[i - 1])) && i + 1 < value.Length && IsWord(value[i + 1])) positions.Add(i);
        if (positions.Count == 0) return [value];
        if (positions.Count > 6) positions = positions.Take(6).ToList(); // 5^6 variants at most
        var results = new List<string> { value };
        char[] dashes = ['-', '/', '\u2013', '\u2014', '\u2015'];
        foreach (var p in positions)
        {
            var next = new List<string>();
            foreach (var r in results)
                foreach (var d in dashes)
                {
                    var chars = r.ToCharArray();
                    chars[p] = d;
                    next.Add(new string(chars));
                }
            results = next;
        }
        return results.Distinct();
    }

    /// <summary>
    /// base64offset: the three encodings of a value placed at byte offsets 0, 1 and 2 of a longer text, with the
    /// characters that depend on the neighbouring bytes cut off (as pySigma does).
    /// </summary>
    internal static IEnumerable<string> Base64Offsets(byte[] value)
    {
        int[] start = [0, 2, 3];
        int[] endTrim = [0, 3, 2];
        for (int shift = 0; shift < 3; shift++)
        {
            var padded = new byte[shift + value.Length];
            value.CopyTo(padded, shift);
            var b64 = Convert.ToBase64String(padded);
            int end = b64.Length - endTrim[(value.Length + shift) % 3];
            if (end > start[shift]) yield return b64[start[shift]..end];
        }
    }

    // ---- condition expressions ----------------------------------------------------------------------

    /// <summary>
    /// Sigma condition grammar (precedence loosest → tightest: or, and, not, "x of", parentheses; left-assoc):
    /// <code>
    /// expr   = and { "or" and } ;
    /// and    = unary { "and" unary } ;
    /// unary  = "not" unary | quant | "(" expr ")" | identifier ;
    /// quant  = ( "1" | "any" | "all" ) "of" ( pattern | "them" ) ;
    /// </code>
    /// A "|" (the removed Sigma 1 aggregation syntax) is rejected with its column.
    /// </summary>
    private sealed class ConditionParser(YScalar source, Dictionary<string, ConditionSyntax> searches, List<string> order, HashSet<string> failed, Ctx ctx)
    {
        private readonly List<(string Text, int Column)> _tokens = Tokenize(source.Value);
        private int _i;

        private static List<(string, int)> Tokenize(string s)
        {
            var list = new List<(string, int)>();
            int i = 0;
            while (i < s.Length)
            {
                char c = s[i];
                if (char.IsWhiteSpace(c)) { i++; continue; }
                if (c is '(' or ')' or '|') { list.Add((c.ToString(), i)); i++; continue; }
                int start = i;
                while (i < s.Length && !char.IsWhiteSpace(s[i]) && s[i] is not ('(' or ')' or '|')) i++;
                list.Add((s[start..i], start));
            }
            return list;
        }

        private SourceSpan At(int tokenIndex)
        {
            int col = tokenIndex < _tokens.Count ? _tokens[tokenIndex].Column : source.Value.Length;
            // The scalar's position is its first character; on the same line add the column inside the text.
            return new SourceSpan(source.Span.File, source.Span.Line, source.Span.Column + col + (source.Quoted ? 1 : 0));
        }

        private string? Peek => _i < _tokens.Count ? _tokens[_i].Text : null;

        public ConditionSyntax? Parse()
        {
            int pipe = _tokens.FindIndex(t => t.Text == "|");
            if (pipe >= 0)
            {
                ctx.Error(DiagnosticCodes.SigmaUnsupported, At(pipe),
                    "the '| count() ...' / '| near' aggregation was removed in Sigma 2; write a correlation rule (event_count, value_count or temporal) instead");
                return null;
            }
            if (_tokens.Count == 0) { ctx.Error(DiagnosticCodes.MissingField, source.Span, "empty condition"); return null; }
            var e = Or();
            if (e is null) return null;
            if (_i < _tokens.Count)
            {
                ctx.Error(DiagnosticCodes.SigmaCondition, At(_i), $"unexpected '{_tokens[_i].Text}' in condition");
                return null;
            }
            return e;
        }

        private ConditionSyntax? Or()
        {
            var left = And();
            if (left is null) return null;
            var items = new List<ConditionSyntax> { left };
            while (Peek == "or")
            {
                _i++;
                var right = And();
                if (right is null) return null;
                items.Add(right);
            }
            return items.Count == 1 ? left : Any(items, source.Span);
        }

        private ConditionSyntax? And()
        {
            var left = Unary();
            if (left is null) return null;
            var items = new List<ConditionSyntax> { left };
            while (Peek == "and")
            {
                _i++;
                var right = Unary();
                if (right is null) return null;
                items.Add(right);
            }
            return items.Count == 1 ? left : All(items, source.Span);
        }

        private ConditionSyntax? Unary()
        {
            var t = Peek;
            if (t is null) { ctx.Error(DiagnosticCodes.SigmaCondition, At(_i), "condition ends too early"); return null; }
            if (t == "not")
            {
                _i++;
                var inner = Unary();
                return inner is null ? null : new NotSyntax(inner, source.Span);
            }
            if (t == "(")
            {
                _i++;
                var e = Or();
                if (e is null) return null;
                if (Peek != ")") { ctx.Error(DiagnosticCodes.SigmaCondition, At(_i), "missing ')'"); return null; }
                _i++;
                return e;
            }
            if (t is "1" or "any" or "all" && _i + 1 < _tokens.Count && _tokens[_i + 1].Text == "of")
            {
                bool all = t == "all";
                int at = _i;
                _i += 2;
                var target = Peek;
                if (target is null || target is "(" or ")") { ctx.Error(DiagnosticCodes.SigmaCondition, At(_i), $"'{t} of' needs a pattern or 'them'"); return null; }
                _i++;
                var names = target == "them"
                    ? order.Where(n => !n.StartsWith('_')).ToList()
                    : order.Where(n => Glob(target, n)).ToList();
                // A search that did not translate has its own diagnostic already; do not pile a second one on.
                if (failed.Any(f => target == "them" || Glob(target, f))) return null;
                if (names.Count == 0)
                {
                    ctx.Error(DiagnosticCodes.SigmaCondition, At(at + 2), $"no search identifier matches '{target}'");
                    return null;
                }
                var parts = names.Select(n => searches[n]).ToList();
                return all ? All(parts, source.Span) : Any(parts, source.Span);
            }
            if (t is "and" or "or" or ")" or "of")
            {
                ctx.Error(DiagnosticCodes.SigmaCondition, At(_i), $"unexpected '{t}' in condition");
                return null;
            }
            _i++;
            if (failed.Contains(t)) return null;
            if (!searches.TryGetValue(t, out var s))
            {
                ctx.Error(DiagnosticCodes.SigmaCondition, At(_i - 1), $"unknown search identifier '{t}'");
                return null;
            }
            return s;
        }

        private static bool Glob(string pattern, string name) =>
            Regex.IsMatch(name, "^" + Regex.Escape(pattern).Replace("\\*", ".*").Replace("\\?", ".") + "$");
    }

    private sealed class Ctx(string file, List<Diagnostic> diagnostics, SigmaOptions options)
    {
        public string File { get; } = file;
        public SigmaOptions Options { get; } = options;
        public bool Failed { get; private set; }

        public void Error(string code, SourceSpan span, string message)
        {
            Failed = true;
            diagnostics.Add(new Diagnostic(code, DiagnosticLevel.Error, span, message));
        }
    }
}
