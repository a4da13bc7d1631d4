using System.Globalization;
using System.Security.Cryptography;
using System.Text.Json;
using Moat.Compile;
using Moat.Emit;
using Moat.Rules;

namespace Moat.Alerts;

/// <summary>Turns findings into stored matches, with each rule's grouping settings attached.</summary>
public sealed class MatchRecorder(IReadOnlyList<CompiledRule> rules)
{
    private readonly Dictionary<string, DedupSpec> _specs = rules.ToDictionary(r => r.Id, r => r.Document.Dedup, StringComparer.Ordinal);

    public StoredMatch ToMatch(Finding f)
    {
        var spec = _specs.GetValueOrDefault(f.RuleId) ?? new DedupSpec(null, TimeSpan.FromMinutes(60));
        var time = DateTimeOffset.TryParse(f.EventTime, CultureInfo.InvariantCulture, DateTimeStyles.AssumeUniversal | DateTimeStyles.AdjustToUniversal, out var t)
            ? t : DateTimeOffset.UnixEpoch;
        // Login findings aggregate several lines: their key includes the first and last time they cover.
        var key = f.Login is { } login ? $"{login.FirstSeen:O}|{login.LastSeen:O}|{f.EventId}"
            : f.EventId ?? Convert.ToHexStringLower(SHA256.HashData(f.Event.Span));
        string? distinct = null;
        if (spec.DistinctField is { } field && FieldPath.TryParse(field) is { } path)
        {
            using var doc = JsonDocument.Parse(f.Event);
            var values = new List<JsonElement>();
            path.Collect(doc.RootElement, doc.RootElement, values);
            distinct = string.Join(",", values.Select(v => Values.Text(v) ?? v.GetRawText()));
        }
        using var ms = new MemoryStream();
        using (var w = new Utf8JsonWriter(ms, new JsonWriterOptions { Encoder = System.Text.Encodings.Web.JavaScriptEncoder.UnsafeRelaxedJsonEscaping }))
            JsonFindingWriter.WriteObject(w, f);
        return new StoredMatch(f.RuleId, key, f.DedupKey, time, f.Severity, f.Title, f.AccountId, f.Principal, spec.Period, spec.Threshold, distinct,
            System.Text.Encoding.UTF8.GetString(ms.ToArray()));
    }
}
