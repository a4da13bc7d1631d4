using System.Text.Json.Nodes;
using System.Text.RegularExpressions;

namespace Moat.Tests.Emit;

/// <summary>Edits a JSON document at a dotted path (<c>evidences[0].api.operation</c>), for tests that break one field.</summary>
internal static partial class JsonPaths
{
    [GeneratedRegex(@"([^.\[\]]+)|\[(\d+)\]")]
    private static partial Regex Segment();

    private static List<object> Parse(string path) =>
        [.. Segment().Matches(path).Select(m => m.Groups[2].Success ? (object)int.Parse(m.Groups[2].Value) : m.Groups[1].Value)];

    private static (JsonNode Parent, object Last) Locate(JsonNode root, string path)
    {
        var parts = Parse(path);
        var node = root;
        foreach (var p in parts.Take(parts.Count - 1))
            node = (p is int i ? node[i] : node[(string)p]) ?? throw new ArgumentException($"no {p} in {path}");
        return (node, parts[^1]);
    }

    public static string Without(string json, string path)
    {
        var root = JsonNode.Parse(json)!;
        var (parent, last) = Locate(root, path);
        if (last is int i) parent.AsArray().RemoveAt(i);
        else Assert.True(parent.AsObject().Remove((string)last), $"{path} is not in the document");
        return root.ToJsonString();
    }

    public static string With(string json, string path, JsonNode? value)
    {
        var root = JsonNode.Parse(json)!;
        var (parent, last) = Locate(root, path);
        if (last is int i) parent[i] = value;
        else parent[(string)last] = value;
        return root.ToJsonString();
    }

    public static JsonNode? Get(string json, string path)
    {
        var root = JsonNode.Parse(json)!;
        var (parent, last) = Locate(root, path);
        return last is int i ? parent[i] : parent[(string)last];
    }

    /// <summary>Every property path in the document, objects inside arrays included (array items themselves are not listed).</summary>
    public static List<string> All(string json)
    {
        var paths = new List<string>();
        void Walk(JsonNode? node, string path)
        {
            switch (node)
            {
                case JsonObject o:
                    foreach (var (k, v) in o)
                    {
                        var p = path.Length == 0 ? k : path + "." + k;
                        paths.Add(p);
                        Walk(v, p);
                    }
                    break;
                case JsonArray a:
                    for (int i = 0; i < a.Count; i++) Walk(a[i], $"{path}[{i}]");
                    break;
            }
        }
        Walk(JsonNode.Parse(json), "");
        return paths;
    }
}
