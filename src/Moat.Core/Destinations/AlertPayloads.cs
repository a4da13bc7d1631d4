using System.Globalization;
using System.Text;
using System.Text.Encodings.Web;
using System.Text.Json;
using Moat.Alerts;
using Moat.Rules;

namespace Moat.Destinations;

/// <summary>Why an alert is being sent: the destination has never had it, or it grew or changed status since.</summary>
internal enum AlertChange
{
    New,
    Updated,
}

/// <summary>The bodies sent to destinations: the generic webhook JSON and the Slack incoming-webhook message.</summary>
internal static class AlertPayloads
{
    private static readonly JsonWriterOptions Options = new() { Encoder = JavaScriptEncoder.UnsafeRelaxedJsonEscaping };

    // Slack refuses a message whose blocks exceed these (https://api.slack.com/reference/block-kit/blocks).
    private const int SlackHeaderMax = 150;
    private const int SlackFieldMax = 2000;
    private const int SlackSectionMax = 3000;

    public static byte[] For(Destination destination, Alert alert, AlertChange change) => destination.Type switch
    {
        DestinationType.Slack => Slack(alert, destination.RunbookLink(alert.Id), change),
        _ => Webhook(alert, destination.RunbookLink(alert.Id), change),
    };

    /// <summary>
    /// The alert as one JSON object: its identity and counts, and from its first match the resource, runbook
    /// and remediation. <c>change</c> tells a receiver whether it has seen this alert id before.
    /// </summary>
    public static byte[] Webhook(Alert alert, string? runbookLink, AlertChange change)
    {
        var details = FirstMatchDetails.Of(alert);
        var buffer = new System.Buffers.ArrayBufferWriter<byte>(2048);
        using (var w = new Utf8JsonWriter(buffer, Options))
        {
            w.WriteStartObject();
            w.WriteString("id", alert.Id);
            w.WriteString("change", change == AlertChange.New ? "new" : "updated");
            w.WriteString("ruleId", alert.RuleId);
            w.WriteString("title", alert.Title);
            w.WriteString("severity", alert.Severity.Name());
            w.WriteString("status", alert.Status);
            if (alert.StatusReason is not null) w.WriteString("statusReason", alert.StatusReason);
            w.WriteNumber("count", alert.Count);
            w.WriteString("firstSeen", Time(alert.FirstSeen));
            w.WriteString("lastSeen", Time(alert.LastSeen));
            w.WriteString("account", alert.Account);
            w.WriteString("principal", alert.Principal);
            w.WriteString("dedupKey", alert.DedupKey);
            w.WritePropertyName("resource");
            if (details.Resource is { } resource) resource.WriteTo(w);
            else
            {
                w.WriteStartObject();
                w.WriteEndObject();
            }
            w.WriteString("runbook", details.Runbook);
            w.WriteString("remediation", details.Remediation);
            if (runbookLink is not null) w.WriteString("runbookUrl", runbookLink);
            w.WriteEndObject();
        }
        return buffer.WrittenSpan.ToArray();
    }

    /// <summary>
    /// A Slack incoming-webhook message: <c>text</c> is the notification and fallback line; <c>blocks</c> carry the
    /// title, severity, principal, resource and a runbook line.
    /// </summary>
    public static byte[] Slack(Alert alert, string? runbookLink, AlertChange change)
    {
        var details = FirstMatchDetails.Of(alert);
        string sev = alert.Severity.Name().ToUpperInvariant();
        string matches = alert.Count == 1 ? "1 match" : $"{alert.Count.ToString(CultureInfo.InvariantCulture)} matches";
        string update = change == AlertChange.Updated ? "Updated: " : "";
        var text = $"{update}[{sev}] {alert.Title} ({alert.Principal ?? "unknown principal"}, {matches}, alert {alert.Id})";

        var buffer = new System.Buffers.ArrayBufferWriter<byte>(4096);
        using (var w = new Utf8JsonWriter(buffer, Options))
        {
            w.WriteStartObject();
            w.WriteString("text", Escape(text));
            w.WriteStartArray("blocks");

            w.WriteStartObject();
            w.WriteString("type", "header");
            w.WriteStartObject("text");
            w.WriteString("type", "plain_text");
            w.WriteString("text", Cut(update + alert.Title, SlackHeaderMax));
            w.WriteEndObject();
            w.WriteEndObject();

            w.WriteStartObject();
            w.WriteString("type", "section");
            w.WriteStartArray("fields");
            Field(w, "Severity", sev);
            Field(w, "Status", alert.StatusReason is null ? alert.Status : $"{alert.Status} ({alert.StatusReason})");
            Field(w, "Principal", alert.Principal ?? "unknown");
            Field(w, "Account", alert.Account ?? "unknown");
            Field(w, "Rule", alert.RuleId);
            Field(w, "Matches", $"{matches}, {SlackTime(alert.FirstSeen)} to {SlackTime(alert.LastSeen)}");
            w.WriteEndArray();
            w.WriteEndObject();

            var resourceLines = ResourceLines(details.Resource);
            if (resourceLines.Length > 0) Section(w, "*Resource*\n" + Cut(Escape(resourceLines), SlackSectionMax - 20));

            var runbook = new StringBuilder("*Runbook*\n");
            var link = runbookLink is null ? "" : "\n" + Escape(runbookLink);
            var runbookText = details.Runbook.Trim();
            runbook.Append(runbookText.Length == 0 ? "(none)" : Cut(Escape(runbookText), SlackSectionMax - 20 - link.Length));
            runbook.Append(link);
            Section(w, runbook.ToString());

            w.WriteStartObject();
            w.WriteString("type", "context");
            w.WriteStartArray("elements");
            w.WriteStartObject();
            w.WriteString("type", "mrkdwn");
            w.WriteString("text", Cut(Escape($"moat alert {alert.Id} · dedup key {alert.DedupKey}"), SlackFieldMax));
            w.WriteEndObject();
            w.WriteEndArray();
            w.WriteEndObject();

            w.WriteEndArray();
            w.WriteEndObject();
        }
        return buffer.WrittenSpan.ToArray();
    }

    private static void Field(Utf8JsonWriter w, string label, string value)
    {
        w.WriteStartObject();
        w.WriteString("type", "mrkdwn");
        w.WriteString("text", $"*{label}*\n{Cut(Escape(value), SlackFieldMax - label.Length - 3)}");
        w.WriteEndObject();
    }

    private static void Section(Utf8JsonWriter w, string mrkdwn)
    {
        w.WriteStartObject();
        w.WriteString("type", "section");
        w.WriteStartObject("text");
        w.WriteString("type", "mrkdwn");
        w.WriteString("text", mrkdwn);
        w.WriteEndObject();
        w.WriteEndObject();
    }

    private static string ResourceLines(JsonElement? resource)
    {
        if (resource is not { ValueKind: JsonValueKind.Object } r) return "";
        var sb = new StringBuilder();
        foreach (var p in r.EnumerateObject())
        {
            var value = p.Value.ValueKind switch
            {
                JsonValueKind.String => p.Value.GetString(),
                JsonValueKind.Array => string.Join(", ", p.Value.EnumerateArray().Select(v => v.ValueKind == JsonValueKind.String ? v.GetString() : v.GetRawText())),
                _ => p.Value.GetRawText(),
            };
            sb.Append(p.Name).Append(": ").Append(value).Append('\n');
        }
        return sb.ToString().TrimEnd('\n');
    }

    /// <summary>Slack reads &lt;...&gt; as links and mentions (&lt;!channel&gt;); text from events must not be able to ping anyone.</summary>
    internal static string Escape(string s) => s.Replace("&", "&amp;", StringComparison.Ordinal).Replace("<", "&lt;", StringComparison.Ordinal).Replace(">", "&gt;", StringComparison.Ordinal);

    private static string Cut(string s, int max)
    {
        if (s.Length <= max) return s;
        int keep = max - 1;
        if (char.IsHighSurrogate(s[keep - 1])) keep--; // never leave half of an emoji
        return s[..keep] + "…";
    }

    private static string Time(DateTimeOffset t) => t.UtcDateTime.ToString("O", CultureInfo.InvariantCulture);

    private static string SlackTime(DateTimeOffset t) => t.UtcDateTime.ToString("yyyy-MM-dd HH:mm:ss 'UTC'", CultureInfo.InvariantCulture);

    /// <summary>Resource, runbook and remediation of the alert's first match, read from its finding JSON.</summary>
    private readonly record struct FirstMatchDetails(JsonElement? Resource, string Runbook, string Remediation)
    {
        public static FirstMatchDetails Of(Alert alert)
        {
            if (alert.Matches.Count == 0) return new(null, "", "");
            try
            {
                using var doc = JsonDocument.Parse(alert.Matches[0].FindingJson);
                var root = doc.RootElement;
                JsonElement? resource = root.TryGetProperty("resource", out var r) && r.ValueKind == JsonValueKind.Object ? r.Clone() : null;
                return new(resource, Text(root, "runbook"), Text(root, "remediation"));
            }
            catch (JsonException)
            {
                // A stored finding that no longer parses still gets its alert delivered, without the details.
                return new(null, "", "");
            }
        }

        private static string Text(JsonElement root, string name) =>
            root.TryGetProperty(name, out var v) && v.ValueKind == JsonValueKind.String ? v.GetString() ?? "" : "";
    }
}
