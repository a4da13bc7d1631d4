using System.Text;
using Moat.Alerts;
using Moat.Rules;

namespace Moat.Destinations;

public enum DestinationType
{
    /// <summary>A JSON POST of the alert to any HTTP endpoint.</summary>
    Webhook,

    /// <summary>A Slack incoming-webhook message (text and blocks).</summary>
    Slack,
}

/// <summary>
/// Where alerts are sent, as read from <c>moat.yaml</c>. <see cref="Url"/> and <see cref="Token"/> are secrets
/// (a Slack webhook URL is itself a credential): anything printed about a destination uses <see cref="Name"/>
/// and <see cref="RedactedUrl"/>, and <see cref="ToString"/> is overridden so that a record printed by accident
/// cannot leak them either.
/// </summary>
public sealed record Destination
{
    public static readonly TimeSpan DefaultTimeout = TimeSpan.FromSeconds(10);
    public const int DefaultRetries = 5;
    public const Severity DefaultMinSeverity = Severity.Medium;

    /// <summary>Names the destination in messages, in the delivery table and in the dead-letter file; keep it stable.</summary>
    public required string Name { get; init; }

    public required DestinationType Type { get; init; }

    public required Uri Url { get; init; }

    /// <summary>Sent as <c>Authorization: Bearer …</c> when set.</summary>
    public string? Token { get; init; }

    /// <summary>For each request, from sending it to reading the whole response.</summary>
    public TimeSpan Timeout { get; init; } = DefaultTimeout;

    /// <summary>Attempts after the first one, for timeouts, connection errors, 408, 429 and 5xx.</summary>
    public int Retries { get; init; } = DefaultRetries;

    public Severity MinSeverity { get; init; } = DefaultMinSeverity;

    /// <summary>Rule id globs (<c>*</c>, <c>?</c>); empty sends alerts of every rule.</summary>
    public IReadOnlyList<string> Rules { get; init; } = [];

    /// <summary>Followed by the alert id (or with <c>{id}</c> replaced by it) in the runbook line.</summary>
    public string? RunbookUrl { get; init; }

    /// <summary>Where the destination is written in moat.yaml, when it was read from a file.</summary>
    public SourceSpan? Span { get; init; }

    /// <summary><c>scheme://host[:port]/…</c>: enough to tell destinations apart, nothing that authenticates.</summary>
    public string RedactedUrl => Redact(Url);

    /// <summary>Whether this destination wants the alert at all (severity and rule filters).</summary>
    public bool Accepts(Alert alert)
    {
        if (alert.Severity < MinSeverity) return false;
        if (Rules.Count == 0) return true;
        foreach (var g in Rules)
            if (Glob.IsMatch(g, alert.RuleId)) return true;
        return false;
    }

    /// <summary>The runbook link for one alert, or null when no runbook_url is configured.</summary>
    public string? RunbookLink(string alertId) => RunbookUrl is null ? null
        : RunbookUrl.Contains("{id}", StringComparison.Ordinal) ? RunbookUrl.Replace("{id}", Uri.EscapeDataString(alertId), StringComparison.Ordinal)
        : RunbookUrl + Uri.EscapeDataString(alertId);

    public static string Redact(Uri url) =>
        url.IsAbsoluteUri ? $"{url.Scheme}://{url.Host}{(url.IsDefaultPort ? "" : ":" + url.Port.ToString(System.Globalization.CultureInfo.InvariantCulture))}/…" : "…";

    public override string ToString() => $"{Name} ({Type.ToString().ToLowerInvariant()}, {RedactedUrl})";

    // Records print every property in ToString; this keeps Url and Token out of any generated text.
    private bool PrintMembers(StringBuilder builder)
    {
        builder.Append("Name = ").Append(Name).Append(", Type = ").Append(Type).Append(", Url = ").Append(RedactedUrl);
        return true;
    }
}

/// <summary>The settings in <c>moat.yaml</c> that moat acts on.</summary>
public sealed record MoatConfig(IReadOnlyList<Destination> Destinations)
{
    public static MoatConfig Empty { get; } = new([]);
}

/// <summary>
/// Glob match for rule ids: <c>*</c> is any run of characters, <c>?</c> one character, everything else
/// literal and case-sensitive (rule ids are). Greedy with one backtrack point, so linear in practice.
/// </summary>
internal static class Glob
{
    public static bool IsMatch(string pattern, string text)
    {
        int p = 0, t = 0, star = -1, mark = 0;
        while (t < text.Length)
        {
            if (p < pattern.Length && (pattern[p] == '?' || pattern[p] == text[t])) { p++; t++; }
            else if (p < pattern.Length && pattern[p] == '*') { star = p++; mark = t; }
            else if (star >= 0) { p = star + 1; t = ++mark; }
            else return false;
        }
        while (p < pattern.Length && pattern[p] == '*') p++;
        return p == pattern.Length;
    }
}
