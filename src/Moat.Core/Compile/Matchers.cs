using System.Globalization;
using System.Text.Json;
using System.Text.RegularExpressions;
using Moat.Rules;

namespace Moat.Compile;

/// <summary>Items bound by <c>any_item ... as: name</c>, for templates. Only collected when a rule matched.</summary>
internal sealed class Captures
{
    private readonly List<KeyValuePair<string, JsonElement>> _items = [];

    public int Count => _items.Count;
    public void Add(string alias, JsonElement item) => _items.Add(new(alias, item));
    public void Truncate(int count) => _items.RemoveRange(count, _items.Count - count);

    public List<JsonElement> Get(string alias)
    {
        var list = new List<JsonElement>();
        foreach (var kv in _items) if (kv.Key == alias) list.Add(kv.Value);
        return list;
    }

    public bool Has(string alias)
    {
        foreach (var kv in _items) if (kv.Key == alias) return true;
        return false;
    }
}

/// <summary>
/// A node of a compiled condition. Immutable once built; evaluation allocates nothing for the
/// structural nodes. <paramref name="scope"/> is the event root, or the current item inside any_item.
/// </summary>
internal abstract class Node(SourceSpan span)
{
    public SourceSpan Span { get; } = span;

    public abstract bool Eval(JsonElement scope, JsonElement root, Captures? captures);

    /// <summary>Canonical text of the compiled condition (tests compare it; `moat rules show` prints it).</summary>
    public abstract string Describe();

    /// <summary>The field tests under this node, for the catalog's indicator table.</summary>
    public abstract void Indicators(List<Indicator> into, string scope, bool negated);
}

/// <summary>One field test as the catalog shows it: which field, which test, under which item scope.</summary>
public sealed record Indicator(string Field, string Test, bool Negated, string? Scope);

internal sealed class AllNode(Node[] items, SourceSpan span) : Node(span)
{
    public Node[] Items { get; } = items;

    public override bool Eval(JsonElement scope, JsonElement root, Captures? captures)
    {
        int mark = captures?.Count ?? 0;
        foreach (var n in Items)
        {
            if (!n.Eval(scope, root, captures))
            {
                captures?.Truncate(mark);
                return false;
            }
        }
        return true;
    }

    public override string Describe() => "all(" + string.Join(", ", Items.Select(i => i.Describe())) + ")";

    public override void Indicators(List<Indicator> into, string scope, bool negated)
    {
        foreach (var i in Items) i.Indicators(into, scope, negated);
    }
}

internal sealed class AnyNode(Node[] items, SourceSpan span) : Node(span)
{
    public override bool Eval(JsonElement scope, JsonElement root, Captures? captures)
    {
        foreach (var n in items)
            if (n.Eval(scope, root, captures)) return true;
        return false;
    }

    public override string Describe() => "any(" + string.Join(", ", items.Select(i => i.Describe())) + ")";

    public override void Indicators(List<Indicator> into, string scope, bool negated)
    {
        foreach (var i in items) i.Indicators(into, scope, negated);
    }
}

internal sealed class NotNode(Node inner, SourceSpan span) : Node(span)
{
    // Bindings made under a negation would describe what did *not* happen, so none are kept.
    public override bool Eval(JsonElement scope, JsonElement root, Captures? captures) => !inner.Eval(scope, root, null);

    public override string Describe() => "not(" + inner.Describe() + ")";

    public override void Indicators(List<Indicator> into, string scope, bool negated) => inner.Indicators(into, scope, !negated);
}

/// <summary>
/// any_item / all_items / no_item: the where-condition is evaluated against each element with the element as
/// scope, so several field tests hold for the *same* element (the correlation flat field matching lacks).
/// all_items needs at least one element: "every permission is open" must not be true of an empty list.
/// </summary>
internal sealed class ItemsNode(Quantifier quantifier, FieldPath path, string? alias, Node where, SourceSpan span) : Node(span)
{
    public override bool Eval(JsonElement scope, JsonElement root, Captures? captures)
    {
        var items = new List<JsonElement>();
        path.Collect(scope, root, items);
        switch (quantifier)
        {
            case Quantifier.Any:
            {
                bool any = false;
                foreach (var item in items)
                {
                    if (!where.Eval(item, root, captures)) continue;
                    if (captures is null || alias is null) return true;
                    captures.Add(alias, item); // keep going: every matching item is named in the finding
                    any = true;
                }
                return any;
            }
            case Quantifier.All:
            {
                if (items.Count == 0) return false;
                int mark = captures?.Count ?? 0;
                foreach (var item in items)
                {
                    if (!where.Eval(item, root, captures)) { captures?.Truncate(mark); return false; }
                    if (alias is not null) captures?.Add(alias, item);
                }
                return true;
            }
            default:
                foreach (var item in items)
                    if (where.Eval(item, root, null)) return false;
                return true;
        }
    }

    public override string Describe() =>
        $"{quantifier.ToString().ToLowerInvariant()}_item({path}{(alias is null ? "" : " as " + alias)}: {where.Describe()})";

    public override void Indicators(List<Indicator> into, string scope, bool negated) =>
        where.Indicators(into, (scope.Length > 0 ? scope + " → " : "") + quantifier.ToString().ToLowerInvariant() + " item of " + path.Text,
            quantifier == Quantifier.None ? !negated : negated);
}

/// <summary>
/// port_range: the scope's protocol/from/to describe a range of ports; does it include any listed port?
/// Protocol -1 / "all" opens every port whatever from/to say. ICMP's from/to are type and code, not
/// ports, so ICMP never matches. A port-bearing protocol with no range at all means every port.
/// </summary>
internal sealed class PortRangeNode(FieldPath protocol, FieldPath from, FieldPath to, int[] ports, SourceSpan span) : Node(span)
{
    public override bool Eval(JsonElement scope, JsonElement root, Captures? captures)
    {
        var values = new List<JsonElement>(1);
        protocol.Collect(scope, root, values);
        string? proto = values.Count > 0 ? Values.Text(values[0])?.Trim().ToLowerInvariant() : null;
        if (proto is "-1" or "all") return true;
        if (proto is "icmp" or "icmpv6" or "1" or "58") return false;
        long? lo = Number(from, scope, root);
        long? hi = Number(to, scope, root);
        if (lo is null && hi is null) return proto is not null;
        if (lo == -1 || hi == -1) return true;
        long a = lo ?? hi!.Value, b = hi ?? lo!.Value;
        foreach (var p in ports)
            if (a <= p && p <= b) return true;
        return false;
    }

    private static long? Number(FieldPath path, JsonElement scope, JsonElement root)
    {
        var values = new List<JsonElement>(1);
        path.Collect(scope, root, values);
        if (values.Count == 0) return null;
        var v = values[0];
        if (v.ValueKind == JsonValueKind.Number && v.TryGetInt64(out var n)) return n;
        if (v.ValueKind == JsonValueKind.String && long.TryParse(v.GetString(), NumberStyles.Integer, CultureInfo.InvariantCulture, out n)) return n;
        return null;
    }

    public override string Describe() => $"port_range({protocol}, {from}..{to} covers [{string.Join(",", ports)}])";

    public override void Indicators(List<Indicator> into, string scope, bool negated) =>
        into.Add(new Indicator($"{protocol} {from}..{to}", "port range covers any of " + string.Join(", ", ports), negated, scope.Length > 0 ? scope : null));
}

/// <summary>A field (or alternative paths a|b) with operators. Value tests must hold for the same value.</summary>
internal sealed class FieldNode(FieldPath[] paths, ValueTest[] valueTests, AggregateTest[] aggregates, SourceSpan span) : Node(span)
{
    public FieldPath[] Paths { get; } = paths;
    public ValueTest[] ValueTests { get; } = valueTests;

    public override bool Eval(JsonElement scope, JsonElement root, Captures? captures)
    {
        var values = new List<JsonElement>(2);
        bool present = false;
        foreach (var p in Paths) present |= p.Collect(scope, root, values);
        foreach (var a in aggregates)
            if (!a.Test(values, present)) return false;
        if (ValueTests.Length == 0) return true;
        foreach (var v in values)
        {
            bool all = true;
            foreach (var t in ValueTests)
            {
                if (!t.Test(v, scope, root)) { all = false; break; }
            }
            if (all) return true;
        }
        return false;
    }

    public override string Describe() =>
        string.Join("|", Paths.Select(p => p.Text)) + "{" +
        string.Join(", ", aggregates.Select(a => a.Describe()).Concat(ValueTests.Select(v => v.Describe()))) + "}";

    public override void Indicators(List<Indicator> into, string scope, bool negated) =>
        into.Add(new Indicator(string.Join(" | ", Paths.Select(p => p.Text)),
            string.Join(" and ", aggregates.Select(a => a.Describe()).Concat(ValueTests.Select(v => v.Describe()))), negated, scope.Length > 0 ? scope : null));
}

/// <summary>How JSON values are seen as text by the string operators.</summary>
internal static class Values
{
    /// <summary>Strings as themselves, numbers as written, booleans as true/false; null, objects and arrays have no text.</summary>
    public static string? Text(JsonElement v) => v.ValueKind switch
    {
        JsonValueKind.String => v.GetString(),
        JsonValueKind.Number => v.GetRawText(),
        JsonValueKind.True => "true",
        JsonValueKind.False => "false",
        _ => null,
    };

    /// <summary>
    /// Runs a text test on a value; an object or array is looked into, leaf by leaf, so that
    /// <c>requestParameters: { contains: "x" }</c> finds "x" anywhere inside (Sigma's rule for objects).
    /// </summary>
    public static bool AnyText(JsonElement v, Func<string, bool> test, int depth = 0)
    {
        switch (v.ValueKind)
        {
            case JsonValueKind.Object:
                if (depth > 64) return false;
                foreach (var p in v.EnumerateObject())
                    if (AnyText(p.Value, test, depth + 1)) return true;
                return false;
            case JsonValueKind.Array:
                if (depth > 64) return false;
                foreach (var e in v.EnumerateArray())
                    if (AnyText(e, test, depth + 1)) return true;
                return false;
            default:
                return Text(v) is { } t && test(t);
        }
    }

    public static bool TryNumber(JsonElement v, out double d)
    {
        if (v.ValueKind == JsonValueKind.Number) return v.TryGetDouble(out d);
        if (v.ValueKind == JsonValueKind.String)
            return double.TryParse(v.GetString(), NumberStyles.Float, CultureInfo.InvariantCulture, out d);
        d = 0;
        return false;
    }
}

internal abstract class ValueTest
{
    public abstract bool Test(JsonElement v);

    /// <summary>For tests that compare with another field of the event; the others ignore the context.</summary>
    public virtual bool Test(JsonElement v, JsonElement scope, JsonElement root) => Test(v);
    public abstract string Describe();
}

/// <summary>equals / in. Numbers compare by value (5432 equals 5432.0), everything else by text.</summary>
internal sealed class EqualsTest : ValueTest
{
    private readonly string[] _texts;
    private readonly HashSet<string> _set;
    private readonly double[] _numbers;
    private readonly bool _ignoreCase;

    public EqualsTest(string[] texts, bool ignoreCase)
    {
        _texts = texts;
        _ignoreCase = ignoreCase;
        _set = new HashSet<string>(texts, ignoreCase ? StringComparer.OrdinalIgnoreCase : StringComparer.Ordinal);
        var nums = new List<double>();
        foreach (var t in texts)
            if (double.TryParse(t, NumberStyles.Float, CultureInfo.InvariantCulture, out var d)) nums.Add(d);
        _numbers = [.. nums];
    }

    public override bool Test(JsonElement v)
    {
        if (v.ValueKind == JsonValueKind.String && !_ignoreCase)
        {
            // ValueEquals compares the UTF-8 bytes in place: no string is made for the common miss.
            foreach (var t in _texts)
                if (v.ValueEquals(t)) return true;
            return false;
        }
        if (v.ValueKind == JsonValueKind.Number && v.TryGetDouble(out var d))
        {
            foreach (var n in _numbers)
                if (n == d) return true;
            return false;
        }
        var text = Values.Text(v);
        return text is not null && _set.Contains(text);
    }

    public override string Describe() => (_texts.Length == 1 ? "== " + _texts[0] : "in [" + string.Join(", ", _texts) + "]") + (_ignoreCase ? " (ignore case)" : "");
}

/// <summary>
/// equals_field: the value equals (as text) a value of another field, e.g. the user an access key is created
/// for against the caller: <c>requestParameters.userName: { equals_field: $.userIdentity.userName }</c>.
/// </summary>
internal sealed class FieldRefTest(FieldPath other, bool ignoreCase, StringOp? op = null) : ValueTest
{
    public override bool Test(JsonElement v) => false;

    public override bool Test(JsonElement v, JsonElement scope, JsonElement root)
    {
        var text = Values.Text(v);
        if (text is null) return false;
        var cmp = ignoreCase ? StringComparison.OrdinalIgnoreCase : StringComparison.Ordinal;
        var others = new List<JsonElement>(1);
        other.Collect(scope, root, others);
        foreach (var o in others)
        {
            if (Values.Text(o) is not { } t) continue;
            bool hit = op switch
            {
                null => string.Equals(t, text, cmp),
                StringOp.Contains => text.Contains(t, cmp),
                StringOp.StartsWith => text.StartsWith(t, cmp),
                _ => text.EndsWith(t, cmp),
            };
            if (hit) return true;
        }
        return false;
    }

    public override string Describe() =>
        (op is null ? "==" : op.Value.ToString().ToLowerInvariant()) + " field " + other.Text + (ignoreCase ? " (ignore case)" : "");
}

/// <summary>
/// wildcard: Sigma-style glob patterns, <c>*</c> any run of characters, <c>?</c> exactly one, <c>\*</c>
/// <c>\?</c> <c>\\</c> escapes (a backslash before anything else is literal). Compiled once to an
/// anchored non-backtracking regex.
/// </summary>
internal sealed class WildcardTest : ValueTest
{
    private readonly Regex[] _regexes;
    private readonly string[] _patterns;

    public WildcardTest(string[] patterns, bool ignoreCase)
    {
        _patterns = patterns;
        var options = RegexOptions.NonBacktracking | RegexOptions.CultureInvariant | RegexOptions.Singleline | (ignoreCase ? RegexOptions.IgnoreCase : 0);
        _regexes = patterns.Select(p => new Regex(ToRegex(p), options)).ToArray();
        IgnoreCase = ignoreCase;
    }

    public bool IgnoreCase { get; }

    public static string ToRegex(string glob)
    {
        var sb = new System.Text.StringBuilder("^");
        for (int i = 0; i < glob.Length; i++)
        {
            char c = glob[i];
            if (c == '\\' && i + 1 < glob.Length && glob[i + 1] is '*' or '?' or '\\')
            {
                sb.Append(Regex.Escape(glob[i + 1].ToString()));
                i++;
            }
            else if (c == '*') sb.Append(".*");
            else if (c == '?') sb.Append('.');
            else sb.Append(Regex.Escape(c.ToString()));
        }
        return sb.Append('$').ToString();
    }

    /// <summary>Does the pattern use an unescaped * or ?</summary>
    public static bool HasWildcards(string glob)
    {
        for (int i = 0; i < glob.Length; i++)
        {
            if (glob[i] == '\\' && i + 1 < glob.Length && glob[i + 1] is '*' or '?' or '\\') { i++; continue; }
            if (glob[i] is '*' or '?') return true;
        }
        return false;
    }

    /// <summary>The literal text of a pattern without wildcards (escapes resolved).</summary>
    public static string Unescape(string glob)
    {
        var sb = new System.Text.StringBuilder(glob.Length);
        for (int i = 0; i < glob.Length; i++)
        {
            if (glob[i] == '\\' && i + 1 < glob.Length && glob[i + 1] is '*' or '?' or '\\') { sb.Append(glob[i + 1]); i++; }
            else sb.Append(glob[i]);
        }
        return sb.ToString();
    }

    public override bool Test(JsonElement v) => Values.AnyText(v, text =>
    {
        foreach (var r in _regexes)
            if (r.IsMatch(text)) return true;
        return false;
    });

    public override string Describe() => "wildcard [" + string.Join(", ", _patterns) + "]" + (IgnoreCase ? " (ignore case)" : "");
}

/// <summary>
/// time_part: reads the value as a timestamp and compares one part of it (minute, hour, day, week, month,
/// year) with the inner tests, as numbers. Sigma's time modifiers.
/// </summary>
internal sealed class TimePartTest(string part, ValueTest[] inner) : ValueTest
{
    private static readonly System.Collections.Concurrent.ConcurrentDictionary<int, JsonElement> Numbers = new();

    public override bool Test(JsonElement v)
    {
        if (v.ValueKind != JsonValueKind.String || !DateTimeOffset.TryParse(v.GetString(), System.Globalization.CultureInfo.InvariantCulture,
                System.Globalization.DateTimeStyles.AssumeUniversal | System.Globalization.DateTimeStyles.AdjustToUniversal, out var t)) return false;
        int n = part switch
        {
            "minute" => t.Minute,
            "hour" => t.Hour,
            "day" => t.Day,
            "week" => System.Globalization.ISOWeek.GetWeekOfYear(t.UtcDateTime),
            "month" => t.Month,
            _ => t.Year,
        };
        var e = Numbers.GetOrAdd(n, k => JsonDocument.Parse(k.ToString(System.Globalization.CultureInfo.InvariantCulture)).RootElement.Clone());
        foreach (var i in inner)
            if (!i.Test(e)) return false;
        return true;
    }

    public override string Describe() => $"{part} of time ({string.Join(", ", inner.Select(i => i.Describe()))})";
}

internal enum StringOp
{
    Contains,
    StartsWith,
    EndsWith,
}

internal sealed class StringTest(StringOp op, string[] needles, bool ignoreCase) : ValueTest
{
    private readonly StringComparison _cmp = ignoreCase ? StringComparison.OrdinalIgnoreCase : StringComparison.Ordinal;

    public override bool Test(JsonElement v) => Values.AnyText(v, Hit);

    private bool Hit(string text)
    {
        foreach (var n in needles)
        {
            bool hit = op switch
            {
                StringOp.Contains => text.Contains(n, _cmp),
                StringOp.StartsWith => text.StartsWith(n, _cmp),
                _ => text.EndsWith(n, _cmp),
            };
            if (hit) return true;
        }
        return false;
    }

    public override string Describe() => $"{op.ToString().ToLowerInvariant()} [{string.Join(", ", needles)}]" + (ignoreCase ? " (ignore case)" : "");
}

/// <summary>
/// Regexes run on the non-backtracking engine: matching time is linear in the input whatever the
/// pattern, so attacker-controlled log text cannot stall a scan.
/// </summary>
internal sealed class RegexTest(Regex[] regexes) : ValueTest
{
    public override bool Test(JsonElement v) => Values.AnyText(v, text =>
    {
        foreach (var r in regexes)
            if (r.IsMatch(text)) return true;
        return false;
    });

    public override string Describe() => "regex [" + string.Join(", ", regexes.Select(r => r.ToString())) + "]";
}

internal enum CompareOp
{
    Gt,
    Gte,
    Lt,
    Lte,
}

internal sealed class NumberTest(CompareOp op, double value) : ValueTest
{
    public override bool Test(JsonElement v) =>
        Values.TryNumber(v, out var d) && op switch
        {
            CompareOp.Gt => d > value,
            CompareOp.Gte => d >= value,
            CompareOp.Lt => d < value,
            _ => d <= value,
        };

    public override string Describe() => $"{op.ToString().ToLowerInvariant()} {value.ToString(CultureInfo.InvariantCulture)}";
}

/// <summary>cidr: the value (an address or a block) lies inside one of the networks.</summary>
internal sealed class CidrTest(Cidr[] networks, string[] texts) : ValueTest
{
    public override bool Test(JsonElement v)
    {
        var text = Values.Text(v);
        if (text is null || !Cidr.TryParse(text, out var c)) return false;
        foreach (var n in networks)
            if (n.Contains(c)) return true;
        return false;
    }

    public override string Describe() => "cidr [" + string.Join(", ", texts) + "]";
}

/// <summary>Tests over all the values of a field at once.</summary>
internal abstract class AggregateTest
{
    public abstract bool Test(List<JsonElement> values, bool present);
    public abstract string Describe();
}

/// <summary>exists: the key is there (even holding null).</summary>
internal sealed class ExistsTest(bool expected) : AggregateTest
{
    public override bool Test(List<JsonElement> values, bool present) => present == expected;
    public override string Describe() => "exists " + (expected ? "true" : "false");
}

/// <summary>null: the key is missing or holds JSON null (an absent errorCode means the call succeeded).</summary>
internal sealed class NullTest(bool expected) : AggregateTest
{
    public override bool Test(List<JsonElement> values, bool present)
    {
        bool isNull = true;
        foreach (var v in values)
            if (v.ValueKind != JsonValueKind.Null) { isNull = false; break; }
        return isNull == expected;
    }

    public override string Describe() => "null " + (expected ? "true" : "false");
}

/// <summary>
/// covers_all_addresses: the field's CIDR blocks, taken together, cover every IPv4 or every IPv6 address:
/// <c>0.0.0.0/0</c>, <c>::/0</c>, or e.g. <c>0.0.0.0/1</c> + <c>128.0.0.0/1</c> in one permission.
/// </summary>
internal sealed class CoversAllAddressesTest(bool expected) : AggregateTest
{
    public override bool Test(List<JsonElement> values, bool present)
    {
        var blocks = new List<Cidr>(values.Count);
        foreach (var v in values)
            if (Values.Text(v) is { } t && Cidr.TryParse(t, out var c)) blocks.Add(c);
        return Cidr.UnionCoversAFamily(blocks) == expected;
    }

    public override string Describe() => "covers_all_addresses " + (expected ? "true" : "false");
}
