using System.Text.Encodings.Web;
using System.Text.Json;

namespace Moat.Emit;

/// <summary>Writes findings as JSON Lines: one object per finding, the full event record included as-is.</summary>
public sealed class JsonFindingWriter(Stream output) : IDisposable
{
    private static readonly JsonWriterOptions Options = new()
    {
        // Relaxed escaping keeps non-ASCII text and <, >, & readable. The output is still valid JSON; it is
        // meant for JSON consumers, and anything embedding it in HTML must escape it there.
        Encoder = JavaScriptEncoder.UnsafeRelaxedJsonEscaping,
        SkipValidation = false,
    };

    // Each finding is rendered into a reused buffer and handed to the stream in one write, without flushing
    // it: the caller's stream decides when bytes reach the file descriptor.
    private readonly System.Buffers.ArrayBufferWriter<byte> _buffer = new(16 << 10);
    private Utf8JsonWriter? _writer;

    public void Write(Finding f)
    {
        _writer ??= new Utf8JsonWriter(_buffer, Options);
        WriteObject(_writer, f);
        _writer.Flush();
        output.Write(_buffer.WrittenSpan);
        output.WriteByte((byte)'\n');
        _buffer.ResetWrittenCount();
        _writer.Reset(_buffer);
    }

    public static void WriteObject(Utf8JsonWriter w, Finding f)
    {
        w.WriteStartObject();
        w.WriteString("ruleId", f.RuleId);
        w.WriteString("title", f.Title);
        w.WriteString("severity", Rules.SeverityNames.Name(f.Severity));
        if (f.SeverityReason is not null) w.WriteString("severityReason", f.SeverityReason);
        w.WriteString("eventId", f.EventId);
        w.WriteString("eventTime", f.EventTime);
        w.WriteString("eventSource", f.EventSource);
        w.WriteString("eventName", f.EventName);
        w.WriteString("accountId", f.AccountId);
        w.WriteString("region", f.Region);
        w.WriteString("principal", f.Principal);
        w.WriteString("sourceIp", f.SourceIp);
        w.WriteString("userAgent", f.UserAgent);
        w.WriteStartObject("resource");
        foreach (var (k, v) in f.Resource)
        {
            if (v.Count == 1) w.WriteString(k, v[0]);
            else
            {
                w.WriteStartArray(k);
                foreach (var s in v) w.WriteStringValue(s);
                w.WriteEndArray();
            }
        }
        w.WriteEndObject();
        w.WriteStartArray("mitre");
        foreach (var m in f.Mitre)
        {
            w.WriteStartObject();
            if (m.Tactic is not null) w.WriteString("tactic", m.Tactic);
            if (m.Technique is not null) w.WriteString("technique", m.Technique);
            w.WriteEndObject();
        }
        w.WriteEndArray();
        w.WriteStartArray("tags");
        foreach (var t in f.Tags) w.WriteStringValue(t);
        w.WriteEndArray();
        w.WriteStartObject("summary");
        foreach (var (k, v) in f.Summary) w.WriteString(k, v);
        w.WriteEndObject();
        w.WriteString("description", f.Description);
        w.WriteString("runbook", f.Runbook);
        w.WriteString("remediation", f.Remediation);
        w.WriteStartArray("references");
        foreach (var r in f.References) w.WriteStringValue(r);
        w.WriteEndArray();
        if (f.FalsePositives.Count > 0)
        {
            w.WriteStartArray("falsepositives");
            foreach (var fp in f.FalsePositives) w.WriteStringValue(fp);
            w.WriteEndArray();
        }
        if (f.Author is not null) w.WriteString("author", f.Author);
        w.WriteString("ruleKind", f.RuleKind);
        w.WriteString("dedupKey", f.DedupKey);
        w.WriteStartObject("location");
        w.WriteString("file", f.Source);
        w.WriteNumber("record", f.Record);
        w.WriteEndObject();
        w.WritePropertyName("event");
        w.WriteRawValue(f.Event.Span, skipInputValidation: true);
        w.WriteEndObject();
    }

    public void Dispose()
    {
        _writer?.Dispose();
        output.Flush();
    }
}
