using System.Globalization;
using System.Text;
using System.Text.Json;
using Moat.Logins;
using Moat.Rules;

namespace Moat.Emit;

/// <summary>
/// The inverse of <see cref="JsonFindingWriter.WriteObject"/>: a stored finding (<c>StoredMatch.FindingJson</c>)
/// back into a <see cref="Finding"/>, so alert writers render from the same record the scan produced. Writing
/// what this reads gives the same bytes again. Login findings get their <see cref="Finding.Login"/> details back
/// from the <c>event</c> object <see cref="LoginFindings.ToFinding"/> wrote.
/// </summary>
internal static class FindingJsonReader
{
    public static Finding Read(string json)
    {
        using var doc = JsonDocument.Parse(json);
        var r = doc.RootElement;
        if (r.ValueKind != JsonValueKind.Object) throw new JsonException("a stored finding is a JSON object");

        SeverityNames.TryParse(Str(r, "severity"), out var severity);
        var resource = new List<KeyValuePair<string, IReadOnlyList<string>>>();
        if (r.TryGetProperty("resource", out var res) && res.ValueKind == JsonValueKind.Object)
        {
            foreach (var p in res.EnumerateObject())
            {
                IReadOnlyList<string> values = p.Value.ValueKind == JsonValueKind.Array
                    ? [.. p.Value.EnumerateArray().Select(Text)]
                    : [Text(p.Value)];
                resource.Add(new(p.Name, values));
            }
        }
        var mitre = new List<MitreRef>();
        if (r.TryGetProperty("mitre", out var mi) && mi.ValueKind == JsonValueKind.Array)
            foreach (var m in mi.EnumerateArray()) mitre.Add(new MitreRef(Str(m, "tactic"), Str(m, "technique")));
        var summary = new List<KeyValuePair<string, string>>();
        if (r.TryGetProperty("summary", out var su) && su.ValueKind == JsonValueKind.Object)
            foreach (var p in su.EnumerateObject()) summary.Add(new(p.Name, Text(p.Value)));
        string? file = null;
        long record = 0;
        if (r.TryGetProperty("location", out var loc) && loc.ValueKind == JsonValueKind.Object)
        {
            file = Str(loc, "file");
            if (loc.TryGetProperty("record", out var rec) && rec.ValueKind == JsonValueKind.Number) record = rec.GetInt64();
        }
        var eventBytes = r.TryGetProperty("event", out var ev) ? Encoding.UTF8.GetBytes(ev.GetRawText()) : "{}"u8.ToArray();
        var kind = Str(r, "ruleKind") ?? "moat";

        return new Finding(
            Str(r, "ruleId") ?? "", Str(r, "title") ?? "", Str(r, "description") ?? "", severity, Str(r, "severityReason"),
            Str(r, "eventId"), Str(r, "eventTime"), Str(r, "eventSource"), Str(r, "eventName"), Str(r, "accountId"), Str(r, "region"),
            Str(r, "principal"), Str(r, "sourceIp"), Str(r, "userAgent"),
            resource, mitre, Strings(r, "tags"), Strings(r, "references"), summary,
            Str(r, "runbook") ?? "", Str(r, "remediation") ?? "", Str(r, "dedupKey") ?? "", file ?? "", record, eventBytes)
        {
            Author = Str(r, "author"),
            FalsePositives = Strings(r, "falsepositives"),
            RuleKind = kind,
            Login = kind == "login" && ev.ValueKind == JsonValueKind.Object ? Login(ev, resource) : null,
        };
    }

    /// <summary>
    /// The finding's top-level strings up to <c>resource</c> (event id, name, source, principal, source IP…),
    /// without building a document: alerts can hold thousands of matches and most writers need only these.
    /// </summary>
    public static Dictionary<string, string> Header(string json)
    {
        var fields = new Dictionary<string, string>(StringComparer.Ordinal);
        var reader = new Utf8JsonReader(Encoding.UTF8.GetBytes(json));
        if (!reader.Read() || reader.TokenType != JsonTokenType.StartObject) return fields;
        while (reader.Read() && reader.TokenType == JsonTokenType.PropertyName)
        {
            var name = reader.GetString()!;
            // JsonFindingWriter writes the per-event strings before the resource object.
            if (name == "resource") break;
            reader.Read();
            if (reader.TokenType == JsonTokenType.String) fields[name] = reader.GetString()!;
            else reader.Skip();
        }
        return fields;
    }

    /// <summary>The GuardDuty-shaped details of a login finding, from the <c>event</c> object LoginFindings writes.</summary>
    private static LoginFindingDetails Login(JsonElement e, List<KeyValuePair<string, IReadOnlyList<string>>> resource)
    {
        var unusual = new List<KeyValuePair<string, string>>();
        if (e.TryGetProperty("unusual", out var u) && u.ValueKind == JsonValueKind.Object)
            foreach (var p in u.EnumerateObject()) unusual.Add(new(p.Name, Text(p.Value)));
        var historical = new List<KeyValuePair<string, IReadOnlyList<(string Value, long Count, string Frequency)>>>();
        if (e.TryGetProperty("historical", out var h) && h.ValueKind == JsonValueKind.Object)
        {
            foreach (var p in h.EnumerateObject())
            {
                var values = new List<(string, long, string)>();
                if (p.Value.ValueKind == JsonValueKind.Array)
                    foreach (var v in p.Value.EnumerateArray()) values.Add((Str(v, "value") ?? "", Long(v, "count"), Str(v, "frequency") ?? ""));
                historical.Add(new(p.Name, values));
            }
        }
        // remoteIsPrivate is not in the event object; the resource carries it as remoteNetwork.
        var isPrivate = resource.Any(r => r.Key == "remoteNetwork" && r.Value.Contains("private"));
        return new LoginFindingDetails(
            Str(e, "type") ?? "", Str(e, "database") ?? "", Str(e, "cluster"), Str(e, "engine"), Str(e, "user"), Str(e, "application"),
            Str(e, "databaseName"), Str(e, "ssl"), Str(e, "authMethod"), Str(e, "remoteIp") ?? "", isPrivate, Str(e, "asnOrg"), Str(e, "threatListName"),
            Long(e, "successfulLoginCount"), Long(e, "failedLoginCount"), Long(e, "incompleteConnectionCount"), Long(e, "count"),
            Time(e, "firstSeen"), Time(e, "lastSeen"), unusual, historical, Strings(e, "lines"));
    }

    /// <summary>JsonFindingWriter writes resource values as strings; anything else is kept as its JSON text.</summary>
    private static string Text(JsonElement v) => v.ValueKind == JsonValueKind.String ? v.GetString()! : v.GetRawText();

    private static string? Str(JsonElement e, string name) =>
        e.ValueKind == JsonValueKind.Object && e.TryGetProperty(name, out var v) && v.ValueKind == JsonValueKind.String ? v.GetString() : null;

    private static long Long(JsonElement e, string name) =>
        e.TryGetProperty(name, out var v) && v.ValueKind == JsonValueKind.Number && v.TryGetInt64(out var n) ? n : 0;

    private static DateTimeOffset Time(JsonElement e, string name) =>
        DateTimeOffset.TryParse(Str(e, name), CultureInfo.InvariantCulture, DateTimeStyles.AssumeUniversal | DateTimeStyles.AdjustToUniversal, out var t)
            ? t : DateTimeOffset.UnixEpoch;

    private static IReadOnlyList<string> Strings(JsonElement e, string name) =>
        e.TryGetProperty(name, out var v) && v.ValueKind == JsonValueKind.Array
            ? [.. v.EnumerateArray().Where(x => x.ValueKind == JsonValueKind.String).Select(x => x.GetString()!)]
            : [];
}
