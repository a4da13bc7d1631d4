using System.Text.Json;
using Moat.Compile;
using Moat.Read;

namespace Moat.Emit;

/// <summary>Builds a <see cref="Finding"/> from a matching event: severity, templates, the standard fields.</summary>
internal static class FindingFactory
{
    public static Finding Create(CompiledRule rule, JsonElement root, ReadOnlyMemory<byte> eventBytes, string source, RecordPosition pos)
    {
        var doc = rule.Document;
        var (severity, reason) = rule.SeverityFor(root);
        var ctx = new RenderContext(root, rule.Capture(root), doc.Id, doc.Title, severity);

        var resource = new List<KeyValuePair<string, IReadOnlyList<string>>>();
        foreach (var (k, t) in rule.Resource)
        {
            var lines = t.RenderLines(ctx).Where(l => l.Length > 0).ToList();
            if (lines.Count > 0) resource.Add(new(k, lines));
        }
        var summary = new List<KeyValuePair<string, string>>();
        foreach (var path in doc.Summary)
        {
            var p = FieldPath.TryParse(path);
            if (p is null) continue;
            var values = new List<JsonElement>();
            p.Collect(root, root, values);
            var text = string.Join(", ", values.Where(v => v.ValueKind != JsonValueKind.Null).Select(v => Values.Text(v) ?? v.GetRawText()));
            if (text.Length > 0) summary.Add(new(path, text));
        }

        return new Finding(
            doc.Id, rule.FindingTitle?.Render(ctx).Trim() ?? doc.Title, rule.Description, severity, reason ?? doc.SeverityReason,
            Str(root, "eventID"), Str(root, "eventTime"), Str(root, "eventSource"), Str(root, "eventName"),
            Str(root, "recipientAccountId") ?? Str(root, "userIdentity", "accountId"),
            Str(root, "awsRegion"),
            Principal(root),
            Str(root, "sourceIPAddress"), Str(root, "userAgent"),
            resource, doc.Mitre, doc.Tags, doc.References, summary,
            rule.Runbook?.Render(ctx).Trim() ?? "",
            rule.Remediation?.Render(ctx).Trim() ?? "",
            rule.DedupKey.Render(ctx),
            source, pos.Index, OneLine(root, eventBytes))
        {
            Author = doc.Author,
            FalsePositives = doc.FalsePositives,
            RuleKind = doc.Kind,
        };
    }

    /// <summary>
    /// The record's bytes as they were, unless they span lines (pretty-printed exports such as the Stratus
    /// Red Team detonation logs): JSON Lines output needs one line per finding, so those are re-encoded compactly.
    /// </summary>
    private static byte[] OneLine(JsonElement root, ReadOnlyMemory<byte> bytes)
    {
        var span = bytes.Span;
        if (span.IndexOfAny((byte)'\n', (byte)'\r') < 0) return span.ToArray();
        using var ms = new MemoryStream(bytes.Length);
        using (var w = new Utf8JsonWriter(ms, new JsonWriterOptions { Encoder = System.Text.Encodings.Web.JavaScriptEncoder.UnsafeRelaxedJsonEscaping }))
            root.WriteTo(w);
        return ms.ToArray();
    }

    /// <summary>
    /// The acting identity's ARN. AWS services acting on their own have no ARN, so they are named by
    /// invokedBy; anything else without an ARN falls back to its principalId.
    /// </summary>
    private static string? Principal(JsonElement root)
    {
        if (Str(root, "userIdentity", "arn") is { Length: > 0 } arn) return arn;
        if (Str(root, "userIdentity", "invokedBy") is { Length: > 0 } by) return by;
        if (Str(root, "userIdentity", "principalId") is { Length: > 0 } pid) return pid;
        return Str(root, "userIdentity", "type");
    }

    private static string? Str(JsonElement e, params string[] path)
    {
        foreach (var p in path)
        {
            if (e.ValueKind != JsonValueKind.Object || !e.TryGetProperty(p, out e)) return null;
        }
        return e.ValueKind switch
        {
            JsonValueKind.String => e.GetString(),
            JsonValueKind.Number or JsonValueKind.True or JsonValueKind.False => e.GetRawText(),
            _ => null,
        };
    }
}
