using System.Text;
using System.Text.Json;
using Moat.Compile;
using Moat.Emit;
using Moat.Read;

namespace Moat.Evaluate;

/// <summary>
/// Evaluate stage for one input: validates each record, unwraps EventBridge envelopes, looks up the rules
/// that can match and runs them. Only events with candidate rules are parsed into a document.
/// One instance per input and thread; not thread-safe.
/// </summary>
internal sealed class RecordEvaluator(RuleIndex index, string source) : IRecordSink
{
    private readonly List<CompiledRule> _candidates = [];

    public List<Finding> Findings { get; } = [];
    public List<ReadError> Errors { get; } = [];
    public long Records { get; private set; }
    public long Events { get; private set; }
    public long NonEvents { get; private set; }
    public RecordPosition? FirstNonEvent { get; private set; }

    /// <summary>When set (scans with --state), every event also goes to the activity index.</summary>
    public Moat.Alerts.ActivityWriter? Activity { get; init; }

    public void OnError(ReadError error) => Errors.Add(error);

    public void OnRecord(ReadOnlyMemory<byte> record, RecordPosition position)
    {
        Records++;
        var err = EventHeader.Read(record.Span, out var header, out long offset, out long lines);
        if (err is not null)
        {
            Errors.Add(new ReadError(source, err, position.Index, position.ByteOffset + offset, position.Line + lines));
            return;
        }
        if (header.EventName.IsEmpty && (header.HasLogEvents || header.HasMessage))
        {
            OnCloudWatchRecord(record, position);
            return;
        }
        OnEvent(record, position, header);
    }

    /// <summary>
    /// CloudTrail delivered through CloudWatch Logs: a subscription payload
    /// (<c>{"messageType":"DATA_MESSAGE","logEvents":[{"message":"{...event...}"}]}</c>) or one exported log event
    /// (<c>{"timestamp":..., "message":"{...event...}"}</c>). The event is JSON inside a string.
    /// </summary>
    private void OnCloudWatchRecord(ReadOnlyMemory<byte> record, RecordPosition position)
    {
        using var doc = JsonDocument.Parse(record);
        var root = doc.RootElement;
        var messages = new List<JsonElement>();
        if (root.TryGetProperty("logEvents", out var logEvents) && logEvents.ValueKind == JsonValueKind.Array)
        {
            foreach (var e in logEvents.EnumerateArray())
                if (e.ValueKind == JsonValueKind.Object && e.TryGetProperty("message", out var m)) messages.Add(m);
        }
        else if (root.TryGetProperty("message", out var m))
        {
            messages.Add(m);
        }
        if (messages.Count == 0) { NonEvents++; FirstNonEvent ??= position; return; }
        foreach (var m in messages)
        {
            if (m.ValueKind != JsonValueKind.String) { NonEvents++; FirstNonEvent ??= position; continue; }
            var bytes = Encoding.UTF8.GetBytes(m.GetString()!);
            var err = EventHeader.Read(bytes, out var header, out _, out _);
            if (err is not null || header.EventName.IsEmpty)
            {
                // A log group also holds lines that are not CloudTrail events; they are counted, not errors.
                NonEvents++;
                FirstNonEvent ??= position;
                continue;
            }
            OnEvent(bytes, position, header);
        }
    }

    private void OnEvent(ReadOnlyMemory<byte> record, RecordPosition position, EventHeader header)
    {
        var ev = record;
        // EventBridge delivers CloudTrail events as {"detail-type":"AWS API Call via CloudTrail","detail":{...}}.
        if (header.EventName.IsEmpty && header.HasDetailType && header.DetailStart >= 0)
        {
            ev = record.Slice(header.DetailStart, header.DetailLength);
            EventHeader.Read(ev.Span, out header, out _, out _);
        }
        if (header.EventName.IsEmpty)
        {
            NonEvents++;
            FirstNonEvent ??= position;
            return;
        }
        Events++;
        Activity?.Add(header.EventTime, header.Account.IsEmpty ? header.IdentityAccount : header.Account, header.PrincipalArn, header.AccessKey,
            header.EventSource, header.EventName, header.ErrorCode, header.SourceIp, position.Index);
        if (header.NameEscaped || header.SourceEscaped)
        {
            // Escapes in eventName are legal JSON but never written by AWS; unescape the slow way.
            using var d = JsonDocument.Parse(ev);
            var r = d.RootElement;
            var name = r.TryGetProperty("eventName", out var n) && n.ValueKind == JsonValueKind.String ? n.GetString() ?? "" : "";
            var src = r.TryGetProperty("eventSource", out var s) && s.ValueKind == JsonValueKind.String ? s.GetString() ?? "" : "";
            index.Candidates(Encoding.UTF8.GetBytes(src), Encoding.UTF8.GetBytes(name), _candidates);
        }
        else
        {
            index.Candidates(header.EventSource, header.EventName, _candidates);
        }
        index.PrefilteredCandidates(ev.Span, _candidates);
        if (_candidates.Count == 0) return;

        using var doc = JsonDocument.Parse(ev);
        var root = doc.RootElement;
        foreach (var rule in _candidates)
        {
            try
            {
                if (rule.Matches(root)) Findings.Add(FindingFactory.Create(rule, root, ev, source, position));
            }
            catch (Exception e) when (e is InvalidOperationException or FormatException or ArgumentException or JsonException)
            {
                Errors.Add(new ReadError(source, $"rule {rule.Id} could not be evaluated on this record: {e.Message}", position.Index, position.ByteOffset, position.Line));
            }
        }
    }
}
