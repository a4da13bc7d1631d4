using System.Text.Json;
using Moat.Alerts;
using Moat.Rules;

namespace Moat.Emit;

/// <summary>
/// <c>moat alerts list --format jsonl</c>: one object per alert with the fields the command has always printed
/// (id, ruleId, dedupKey, severity, status, statusReason, count, firstSeen, lastSeen, title, account, principal;
/// absent values as null, times in round-trip "O" form) plus <c>matches</c>, the event ids of its matches in
/// time order. Never skips an alert: a match whose stored finding cannot be read is listed by its stored key.
/// </summary>
public sealed class JsonAlertWriter(Stream output) : IAlertWriter
{
    private readonly AlertLines _lines = new(output);

    public IReadOnlyList<SkippedAlert> Skipped => _lines.Skipped;

    public bool Write(Alert alert)
    {
        var w = _lines.Writer();
        WriteObject(w, alert);
        _lines.EndLine(w);
        return true;
    }

    public static void WriteObject(Utf8JsonWriter w, Alert a)
    {
        w.WriteStartObject();
        w.WriteString("id", a.Id);
        w.WriteString("ruleId", a.RuleId);
        w.WriteString("dedupKey", a.DedupKey);
        w.WriteString("severity", a.Severity.Name());
        w.WriteString("status", a.Status);
        w.WriteString("statusReason", a.StatusReason);
        w.WriteNumber("count", a.Count);
        w.WriteString("firstSeen", a.FirstSeen.UtcDateTime.ToString("O"));
        w.WriteString("lastSeen", a.LastSeen.UtcDateTime.ToString("O"));
        w.WriteString("title", a.Title);
        w.WriteString("account", a.Account);
        w.WriteString("principal", a.Principal);
        w.WriteStartArray("matches");
        foreach (var m in a.Matches) w.WriteStringValue(EventId(m));
        w.WriteEndArray();
        w.WriteEndObject();
    }

    /// <summary>The CloudTrail eventID (or, for a login finding, its last log line) the match was stored for.</summary>
    private static string EventId(StoredMatch m)
    {
        try
        {
            return FindingJsonReader.Header(m.FindingJson).TryGetValue("eventId", out var id) ? id : m.EventKey;
        }
        catch (JsonException)
        {
            return m.EventKey;
        }
    }

    public void Dispose() => _lines.Dispose();
}
