using System.Text.Json;

namespace Moat.Compile;

/// <summary>
/// A dotted path into an event, split once at compile time. Arrays met on the way are walked element by
/// element (an array matches when any element does), and an array at the end yields its elements.
/// A path starting with <c>$.</c> starts at the event root even inside an any_item scope.
/// </summary>
internal sealed class FieldPath
{
    public string Text { get; }
    public bool FromRoot { get; }
    public bool AllLeaves { get; private init; }
    public string[] Segments { get; }

    private FieldPath(string text, bool fromRoot, string[] segments)
    {
        Text = text;
        FromRoot = fromRoot;
        Segments = segments;
    }

    public static FieldPath? TryParse(string text)
    {
        var t = text.Trim();
        // "@" is the scope itself: an element of a list of plain values inside any_item.
        if (t == "@") return new FieldPath(text, false, []);
        // "**" is every leaf value under the scope: what a Sigma keyword searches.
        if (t == "**") return new FieldPath(text, false, []) { AllLeaves = true };
        bool root = false;
        if (t.StartsWith("$.", StringComparison.Ordinal)) { root = true; t = t[2..]; }
        if (t.Length == 0) return null;
        var segs = t.Split('.');
        foreach (var s in segs) if (s.Length == 0) return null;
        return new FieldPath(text, root, segs);
    }

    /// <summary>Adds every value the path reaches; returns whether the last key was present at least once.</summary>
    public bool Collect(JsonElement scope, JsonElement root, List<JsonElement> into) =>
        Walk(FromRoot ? root : scope, 0, into);

    public bool CollectFrom(JsonElement start, int firstSegment, List<JsonElement> into) => Walk(start, firstSegment, into);

    private bool Walk(JsonElement e, int i, List<JsonElement> into)
    {
        if (AllLeaves)
        {
            Leaves(e, into, 0);
            return true;
        }
        if (i == Segments.Length)
        {
            if (e.ValueKind == JsonValueKind.Array)
                foreach (var item in e.EnumerateArray()) into.Add(item);
            else
                into.Add(e);
            return true;
        }
        bool present = false;
        switch (e.ValueKind)
        {
            case JsonValueKind.Object:
                if (e.TryGetProperty(Segments[i], out var child)) present = Walk(child, i + 1, into);
                break;
            case JsonValueKind.Array:
                foreach (var item in e.EnumerateArray()) present |= Walk(item, i, into);
                break;
        }
        return present;
    }

    private static void Leaves(JsonElement e, List<JsonElement> into, int depth)
    {
        if (depth > 64) return;
        switch (e.ValueKind)
        {
            case JsonValueKind.Object:
                foreach (var p in e.EnumerateObject()) Leaves(p.Value, into, depth + 1);
                break;
            case JsonValueKind.Array:
                foreach (var x in e.EnumerateArray()) Leaves(x, into, depth + 1);
                break;
            default:
                into.Add(e);
                break;
        }
    }

    public override string ToString() => Text;
}
