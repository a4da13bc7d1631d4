using System.Globalization;
using System.Net;
using System.Text;
using System.Text.RegularExpressions;
using Moat.Rules;

namespace Moat.Destinations;

/// <summary>The configuration read from a file, and every problem found in it.</summary>
public sealed record ConfigLoad(MoatConfig Config, IReadOnlyList<Diagnostic> Diagnostics)
{
    public bool HasErrors => Diagnostics.Any(d => d.Level == DiagnosticLevel.Error);
}

/// <summary>
/// Reads <c>moat.yaml</c>:
/// <code>
/// destinations:
///   - name: soc-webhook
///     type: webhook            # webhook | slack
///     url: https://siem.example.com/moat
///     token: ${MOAT_SIEM_TOKEN} # optional, sent as a bearer token
///     timeout: 10s             # per request (default 10s)
///     retries: 5               # after the first attempt (default 5)
///     min_severity: medium     # default medium
///     rules: [aws.iam.*]       # optional rule id globs
///     runbook_url: https://wiki.example.com/alerts/   # optional, followed by the alert id
/// </code>
/// Any value may reference an environment variable as <c>${NAME}</c> (<c>$${</c> is a literal <c>${</c>), so
/// secrets stay out of the file. Like the rule reader it never throws: problems become diagnostics with
/// file:line:column, and a destination with an error is left out while the others are kept. No message ever
/// quotes a url or a token, whether written in the file or taken from the environment.
/// </summary>
public static partial class ConfigReader
{
    private static readonly HashSet<string> TopKeys = ["destinations"];

    private static readonly HashSet<string> DestinationKeys =
        ["name", "type", "url", "token", "timeout", "retries", "min_severity", "rules", "runbook_url"];

    /// <summary>A cap that keeps a typo like <c>retries: 500</c> from turning one failing alert into hours of retrying.</summary>
    internal const int MaxRetries = 20;

    internal static readonly TimeSpan MaxTimeout = TimeSpan.FromMinutes(5);

    [GeneratedRegex(@"^[A-Za-z0-9][A-Za-z0-9._\-]*$")]
    private static partial Regex NamePattern();

    [GeneratedRegex(@"^[A-Za-z_][A-Za-z0-9_]*$")]
    private static partial Regex VariablePattern();

    public static ConfigLoad Load(string path, Func<string, string?>? environment = null)
    {
        string text;
        try
        {
            text = File.ReadAllText(path);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            return new ConfigLoad(MoatConfig.Empty,
                [new Diagnostic(DiagnosticCodes.UnreadableFile, DiagnosticLevel.Error, SourceSpan.None(path), $"cannot read the configuration: {e.Message}")]);
        }
        return Read(text, path, environment);
    }

    /// <param name="environment">Looks up <c>${NAME}</c>; the process environment when null.</param>
    public static ConfigLoad Read(string text, string file, Func<string, string?>? environment = null)
    {
        var diagnostics = new List<Diagnostic>();
        var ctx = new Ctx(diagnostics, environment ?? Environment.GetEnvironmentVariable);
        var docs = RuleReader.ParseYaml(text, file, diagnostics);
        if (docs is null) return new ConfigLoad(MoatConfig.Empty, diagnostics);
        if (docs.Count == 0) return new ConfigLoad(MoatConfig.Empty, diagnostics);
        if (docs.Count > 1)
            ctx.Error(DiagnosticCodes.ConfigShape, docs[1].Span, "moat.yaml holds one YAML document; the ones after the first are ignored");
        if (docs[0] is YScalar { IsNull: true }) return new ConfigLoad(MoatConfig.Empty, diagnostics);
        if (docs[0] is not YMapping top)
        {
            ctx.Error(DiagnosticCodes.ConfigShape, docs[0].Span, "moat.yaml is a mapping of keys (destinations: ...)");
            return new ConfigLoad(MoatConfig.Empty, diagnostics);
        }
        foreach (var e in top.Entries)
            if (!TopKeys.Contains(e.Key.Value))
                ctx.Warn(DiagnosticCodes.ConfigUnknownKey, e.Key.Span, $"unknown key '{e.Key.Value}'");

        var destinations = new List<Destination>();
        switch (top["destinations"])
        {
            case null:
            case YScalar { IsNull: true }:
                break;
            case YSequence list:
                var seen = new Dictionary<string, SourceSpan>(StringComparer.Ordinal);
                foreach (var item in list.Items)
                {
                    var d = ReadDestination(item, ctx);
                    if (d is null) continue;
                    if (seen.TryGetValue(d.Name, out var first))
                    {
                        ctx.Error(DiagnosticCodes.DuplicateDestination, d.Span ?? item.Span, $"destination '{d.Name}' is already defined at line {first.Line}; this one is not used");
                        continue;
                    }
                    seen[d.Name] = d.Span ?? item.Span;
                    destinations.Add(d);
                }
                break;
            case var other:
                ctx.Error(DiagnosticCodes.ConfigShape, other.Span, "'destinations' is a list of destinations (- name: ..., type: ..., url: ...)");
                break;
        }
        return new ConfigLoad(new MoatConfig(destinations), diagnostics);
    }

    private static Destination? ReadDestination(YValue item, Ctx ctx)
    {
        if (item is not YMapping map)
        {
            ctx.Error(DiagnosticCodes.ConfigShape, item.Span, "a destination is a mapping with name, type and url");
            return null;
        }
        int errorsBefore = ctx.Errors;
        foreach (var e in map.Entries)
            if (!DestinationKeys.Contains(e.Key.Value))
                ctx.Warn(DiagnosticCodes.ConfigUnknownKey, e.Key.Span, $"unknown key '{e.Key.Value}' in a destination");

        string? name = null;
        if (ctx.Required(map, "name", "a destination") is { } n)
        {
            name = ctx.Text(n, "name");
            if (name is not null && !NamePattern().IsMatch(name))
            {
                ctx.Error(DiagnosticCodes.DestinationBadValue, n.Span, "a destination name may only contain letters, digits and . _ - (it is kept in the state file)");
                name = null;
            }
        }
        string label = name is null ? "a destination" : $"destination '{name}'";

        DestinationType type = DestinationType.Webhook;
        if (ctx.Required(map, "type", label) is { } t && ctx.Text(t, "type") is { } typeText)
        {
            switch (typeText)
            {
                case "webhook": type = DestinationType.Webhook; break;
                case "slack": type = DestinationType.Slack; break;
                default: ctx.Error(DiagnosticCodes.DestinationBadType, t.Span, $"{label}: type '{Written(t)}' is not webhook or slack"); break;
            }
        }

        Uri? url = null;
        if (ctx.Required(map, "url", label) is { } u && ctx.Text(u, "url", secret: true) is { } urlText)
        {
            url = HttpUrl(urlText);
            // The url is not quoted back: a Slack webhook url is itself the credential.
            if (url is null) ctx.Error(DiagnosticCodes.DestinationBadUrl, u.Span, $"{label}: url must be an absolute http:// or https:// URL");
            else if (url.Scheme == Uri.UriSchemeHttp && !IsLoopback(url))
                ctx.Warn(DiagnosticCodes.PlainHttpUrl, u.Span, $"{label}: alerts (and any token) to {Destination.Redact(url)} travel unencrypted; use https://");
        }

        string? token = null;
        if (map["token"] is { } tk)
        {
            token = ctx.Text(tk, "token", secret: true);
            if (token is not null && (token.Length == 0 || token.Any(char.IsControl)))
            {
                ctx.Error(DiagnosticCodes.DestinationBadValue, tk.Span, $"{label}: token must be one line of text");
                token = null;
            }
            else if (token is not null && tk is YScalar ts && !ts.Value.Contains("${", StringComparison.Ordinal))
                ctx.Warn(DiagnosticCodes.TokenInFile, tk.Span, $"{label}: the token is written in the file; reference an environment variable instead (token: ${{MOAT_TOKEN}})");
        }

        var timeout = Destination.DefaultTimeout;
        if (map["timeout"] is { } to && ctx.Text(to, "timeout") is { } toText)
        {
            if (!RuleReader.TryParseDuration(toText, out timeout) || timeout <= TimeSpan.Zero || timeout > MaxTimeout)
                ctx.Error(DiagnosticCodes.DestinationBadValue, to.Span, $"{label}: timeout '{Written(to)}' is not a duration between 0s and {MaxTimeout.TotalMinutes}m (10s, 1.5s, 1m)");
        }

        int retries = Destination.DefaultRetries;
        if (map["retries"] is { } re && ctx.Text(re, "retries") is { } reText)
        {
            if (!int.TryParse(reText, NumberStyles.None, CultureInfo.InvariantCulture, out retries) || retries > MaxRetries)
                ctx.Error(DiagnosticCodes.DestinationBadValue, re.Span, $"{label}: retries '{Written(re)}' is not a whole number from 0 to {MaxRetries}");
        }

        var minSeverity = Destination.DefaultMinSeverity;
        if (map["min_severity"] is { } ms && ctx.Text(ms, "min_severity") is { } msText && !SeverityNames.TryParse(msText, out minSeverity))
            ctx.Error(DiagnosticCodes.DestinationBadValue, ms.Span, $"{label}: min_severity '{Written(ms)}' is not one of info, low, medium, high, critical");

        var rules = new List<string>();
        if (map["rules"] is { } rs)
        {
            IReadOnlyList<YValue> items = rs is YSequence seq ? seq.Items : [rs];
            foreach (var r in items)
            {
                if (ctx.Text(r, "rules") is not { } glob) continue;
                if (glob.Trim().Length == 0) ctx.Error(DiagnosticCodes.DestinationBadValue, r.Span, $"{label}: a rules entry is empty");
                else rules.Add(glob.Trim());
            }
            if (rs is YSequence { Items.Count: 0 })
                ctx.Error(DiagnosticCodes.DestinationBadValue, rs.Span, $"{label}: rules is empty, so nothing would be sent; leave it out to send alerts of every rule");
        }

        string? runbookUrl = null;
        if (map["runbook_url"] is { } rb && ctx.Text(rb, "runbook_url") is { } rbText)
        {
            if (HttpUrl(rbText.Replace("{id}", "x", StringComparison.Ordinal)) is null)
                ctx.Error(DiagnosticCodes.DestinationBadUrl, rb.Span, $"{label}: runbook_url must be an absolute http:// or https:// URL");
            else runbookUrl = rbText;
        }

        if (ctx.Errors > errorsBefore || name is null || url is null) return null;
        return new Destination
        {
            Name = name,
            Type = type,
            Url = url,
            Token = token,
            Timeout = timeout,
            Retries = retries,
            MinSeverity = minSeverity,
            Rules = rules,
            RunbookUrl = runbookUrl,
            Span = map.Span,
        };
    }

    /// <summary>
    /// A value as written in the file, before <c>${NAME}</c> is expanded: messages quote this, so a secret put in
    /// the wrong key by mistake is not printed.
    /// </summary>
    private static string Written(YValue v) => v is YScalar s ? s.Value : "";

    private static Uri? HttpUrl(string text) =>
        Uri.TryCreate(text.Trim(), UriKind.Absolute, out var u) && (u.Scheme == Uri.UriSchemeHttps || u.Scheme == Uri.UriSchemeHttp) && u.Host.Length > 0 ? u : null;

    private static bool IsLoopback(Uri url) =>
        url.IsLoopback || (IPAddress.TryParse(url.Host.Trim('[', ']'), out var ip) && IPAddress.IsLoopback(ip));

    private sealed class Ctx(List<Diagnostic> diagnostics, Func<string, string?> environment)
    {
        public int Errors { get; private set; }

        public void Error(string code, SourceSpan span, string message)
        {
            Errors++;
            diagnostics.Add(new Diagnostic(code, DiagnosticLevel.Error, span, message));
        }

        public void Warn(string code, SourceSpan span, string message) =>
            diagnostics.Add(new Diagnostic(code, DiagnosticLevel.Warning, span, message));

        public YValue? Required(YMapping map, string key, string label)
        {
            if (map[key] is { } v) return v;
            Error(DiagnosticCodes.ConfigMissingKey, map.Span, $"{label} needs a '{key}'");
            return null;
        }

        /// <summary>A scalar's text with <c>${NAME}</c> expanded; null (reported) when it is not text or a variable is missing.</summary>
        public string? Text(YValue v, string key, bool secret = false)
        {
            if (v is not YScalar s || s.IsNull)
            {
                Error(DiagnosticCodes.ConfigShape, v.Span, $"'{key}' must be a text");
                return null;
            }
            return Expand(s, key, secret);
        }

        private string? Expand(YScalar s, string key, bool secret)
        {
            var text = s.Value;
            if (!text.Contains('$')) return text;
            var sb = new StringBuilder(text.Length);
            bool ok = true;
            for (int i = 0; i < text.Length; i++)
            {
                if (text[i] != '$') { sb.Append(text[i]); continue; }
                if (i + 2 < text.Length && text[i + 1] == '$' && text[i + 2] == '{') { sb.Append("${"); i += 2; continue; }
                if (i + 1 >= text.Length || text[i + 1] != '{') { sb.Append('$'); continue; }
                int close = text.IndexOf('}', i + 2);
                var at = Offset(s, i);
                if (close < 0)
                {
                    Error(DiagnosticCodes.UndefinedVariable, at, $"'{key}': '${{' is not closed by '}}' (write $${{ for a literal ${{)");
                    return null;
                }
                var name = text[(i + 2)..close];
                if (!VariablePattern().IsMatch(name))
                {
                    Error(DiagnosticCodes.UndefinedVariable, at, $"'{key}': '{(secret ? "${…}" : text[i..(close + 1)])}' is not a variable reference (${{NAME}}, letters, digits and _)");
                    ok = false;
                }
                else if (environment(name) is { Length: > 0 } value)
                    sb.Append(value);
                else
                {
                    Error(DiagnosticCodes.UndefinedVariable, at, $"'{key}': environment variable {name} is not set (or is empty)");
                    ok = false;
                }
                i = close;
            }
            return ok ? sb.ToString() : null;
        }

        /// <summary>
        /// Where character <paramref name="index"/> of the value was written, on the value's first line (escapes in
        /// a double-quoted value can shift it a little); the value's start when it is on a later line.
        /// </summary>
        private static SourceSpan Offset(YScalar s, int index) =>
            s.Value.AsSpan(0, index).Contains('\n') ? s.Content : s.Content with { Column = s.Content.Column + index };
    }
}
