using System.Globalization;
using System.Text.Json;
using System.Text.RegularExpressions;
using Moat.Compile;
using Moat.Emit;
using Moat.Rules;

namespace Moat.Alerts;

/// <summary>
/// One suppression: every criterion it names must hold for a finding to be suppressed. Each has a reason and an
/// expiry date; after it expires it stops applying and moat says so.
/// </summary>
internal sealed record Suppression(
    string Name,
    string Reason,
    DateTimeOffset Expires,
    SourceSpan Span,
    Regex[] Rules,
    Regex? Principal,
    string? Account,
    string? Region,
    Cidr[] SourceCidrs,
    string? Resource,
    CompiledRule? Condition)
{
    public bool Matches(Finding f, JsonElement? ev)
    {
        if (Rules.Length > 0 && !Rules.Any(r => r.IsMatch(f.RuleId))) return false;
        if (Principal is not null && (f.Principal is null || !Principal.IsMatch(f.Principal))) return false;
        if (Account is not null && f.AccountId != Account) return false;
        if (Region is not null && f.Region != Region) return false;
        if (SourceCidrs.Length > 0 && (f.SourceIp is null || !Cidr.TryParse(f.SourceIp, out var ip) || !SourceCidrs.Any(c => c.Contains(ip)))) return false;
        if (Resource is not null && !f.Resource.Any(r => r.Key == "id" && r.Value.Contains(Resource))) return false;
        if (Condition is not null && (ev is not { } e || !Condition.Matches(e))) return false;
        return true;
    }
}

/// <summary>
/// The suppressions file (<c>--suppressions FILE</c>), read like a rule file: every problem is a diagnostic with
/// file:line:column and a code, and a bad entry never stops the others from loading.
/// <code>
/// suppressions:
///   - name: terraform-bastion
///     rules: [AWS.EC2.SecurityGroupAdminPortOpenToWorld]      # globs
///     principal: "arn:aws:sts::111122223333:assumed-role/Terraform*"
///     account: "111122223333"
///     region: us-east-1
///     source_cidr: [10.0.0.0/8]
///     resource: sg-0bastion000000001
///     condition: { requestParameters.fromPort: 22 }          # the rule language, on the event
///     reason: the bastion is public by design (CHG-1234)
///     expires: 2027-03-31
/// </code>
/// </summary>
internal sealed class SuppressionSet
{
    private readonly Dictionary<Suppression, long> _hits = [];

    public IReadOnlyList<Suppression> Active { get; }
    public IReadOnlyList<Suppression> Expired { get; }
    public IReadOnlyList<(Suppression By, Finding Finding)> Suppressed => _suppressed;

    private readonly List<(Suppression, Finding)> _suppressed = [];

    private SuppressionSet(List<Suppression> active, List<Suppression> expired)
    {
        Active = active;
        Expired = expired;
    }

    public static SuppressionSet Empty { get; } = new([], []);

    public long Hits(Suppression s) => _hits.GetValueOrDefault(s);

    /// <summary>The suppression that covers the finding (counting the hit), or null.</summary>
    public Suppression? Check(Finding f)
    {
        if (Active.Count == 0) return null;
        JsonElement? ev = null;
        JsonDocument? doc = null;
        try
        {
            foreach (var s in Active)
            {
                if (s.Condition is not null && ev is null)
                {
                    doc = JsonDocument.Parse(f.Event);
                    ev = doc.RootElement;
                }
                if (!s.Matches(f, ev)) continue;
                _hits[s] = _hits.GetValueOrDefault(s) + 1;
                _suppressed.Add((s, f));
                return s;
            }
            return null;
        }
        finally
        {
            doc?.Dispose();
        }
    }

    public static SuppressionSet Load(string path, DateTimeOffset now, List<Diagnostic> diagnostics)
    {
        string text;
        try { text = File.ReadAllText(path); }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            diagnostics.Add(new Diagnostic(DiagnosticCodes.UnreadableFile, DiagnosticLevel.Error, SourceSpan.None(path), e.Message));
            return Empty;
        }
        var docs = RuleReader.ParseYaml(text, path, diagnostics);
        if (docs is null) return Empty;
        var active = new List<Suppression>();
        var expired = new List<Suppression>();
        if (docs.Count != 1 || docs[0] is not YMapping root || root["suppressions"] is not YSequence list)
        {
            diagnostics.Add(new Diagnostic(DiagnosticCodes.MissingField, DiagnosticLevel.Error, docs.Count > 0 ? docs[0].Span : new SourceSpan(path, 1, 1),
                "a suppressions file is a mapping with a 'suppressions' list"));
            return Empty;
        }
        int n = 0;
        foreach (var item in list.Items)
        {
            n++;
            if (Read(item, n, path, diagnostics) is not { } s) continue;
            if (s.Expires < now)
            {
                expired.Add(s);
                diagnostics.Add(new Diagnostic(DiagnosticCodes.SuppressionExpired, DiagnosticLevel.Warning, s.Span,
                    $"suppression '{s.Name}' expired on {s.Expires.AddTicks(-1):yyyy-MM-dd} and no longer applies"));
            }
            else active.Add(s);
        }
        return new SuppressionSet(active, expired);
    }

    private static readonly HashSet<string> Keys = ["name", "rules", "principal", "account", "region", "source_cidr", "resource", "condition", "reason", "expires"];

    private static Suppression? Read(YValue item, int n, string path, List<Diagnostic> diagnostics)
    {
        bool ok = true;
        void Error(string code, SourceSpan span, string message)
        {
            ok = false;
            diagnostics.Add(new Diagnostic(code, DiagnosticLevel.Error, span, message));
        }
        if (item is not YMapping m)
        {
            Error(DiagnosticCodes.WrongType, item.Span, "a suppression is a mapping (rules, principal, ..., reason, expires)");
            return null;
        }
        foreach (var e in m.Entries)
            if (!Keys.Contains(e.Key.Value)) Error(DiagnosticCodes.UnknownKey, e.Key.Span, $"unknown suppression key '{e.Key.Value}' ({string.Join(", ", Keys)})");
        string? Text(string key)
        {
            if (m[key] is not { } v) return null;
            if (v is YScalar s && !s.IsNull) return s.Value;
            Error(DiagnosticCodes.WrongType, v.Span, $"'{key}' is a text");
            return null;
        }
        IEnumerable<YScalar> Texts(string key) => m[key] switch
        {
            null => [],
            YScalar s => [s],
            YSequence q => q.Items.OfType<YScalar>(),
            var v => Fail(v, key),
        };
        IEnumerable<YScalar> Fail(YValue v, string key)
        {
            Error(DiagnosticCodes.WrongType, v.Span, $"'{key}' is a text or a list of texts");
            return [];
        }
        var name = Text("name") ?? $"#{n}";
        var reason = Text("reason");
        if (string.IsNullOrWhiteSpace(reason)) Error(DiagnosticCodes.MissingField, m.Span, $"suppression '{name}' needs a reason");
        var expiresText = Text("expires");
        DateTimeOffset expires = default;
        if (expiresText is null) Error(DiagnosticCodes.MissingField, m.Span, $"suppression '{name}' needs an expires date (YYYY-MM-DD)");
        else if (!DateTimeOffset.TryParse(expiresText, CultureInfo.InvariantCulture, DateTimeStyles.AssumeUniversal | DateTimeStyles.AdjustToUniversal, out expires))
            Error(DiagnosticCodes.BadDuration, m["expires"]!.Span, $"'{expiresText}' is not a date (YYYY-MM-DD)");
        else if (expiresText.Length <= 10) expires = expires.AddDays(1); // a date means "through that day"
        var rules = Texts("rules").Select(r => Glob(r.Value)).ToArray();
        var principal = Text("principal") is { } pr ? Glob(pr) : null;
        var cidrs = new List<Cidr>();
        foreach (var c in Texts("source_cidr"))
        {
            if (Cidr.TryParse(c.Value, out var cidr)) cidrs.Add(cidr);
            else Error(DiagnosticCodes.BadCidr, c.Span, $"'{c.Value}' is not a CIDR block or IP address");
        }
        CompiledRule? condition = null;
        if (m["condition"] is { } cv)
        {
            // The condition is compiled as a one-off rule: the same language and diagnostics as rule files.
            var ruleText = new YMapping(
            [
                new(new YScalar("id", false, cv.Span), new YScalar($"suppression.{n}", false, cv.Span)),
                new(new YScalar("title", false, cv.Span), new YScalar(name, true, cv.Span)),
                new(new YScalar("severity", false, cv.Span), new YScalar("info", false, cv.Span)),
                new(new YScalar("condition", false, cv.Span), cv),
                new(new YScalar("tests", false, cv.Span), new YSequence([], cv.Span)),
            ], cv.Span);
            var local = new List<Diagnostic>();
            if (RuleReader.ReadRule(ruleText, path, local) is { } doc) condition = RuleCompiler.Compile(doc, local);
            foreach (var d in local.Where(d => d.Level == DiagnosticLevel.Error)) Error(d.Code, d.Span, d.Message);
        }
        if (!ok) return null;
        return new Suppression(name, reason!, expires, m.Span, rules, principal, Text("account"), Text("region"), [.. cidrs], Text("resource"), condition);
    }

    private static Regex Glob(string pattern) =>
        new("^" + Regex.Escape(pattern).Replace("\\*", ".*").Replace("\\?", ".") + "$", RegexOptions.CultureInvariant | RegexOptions.NonBacktracking);
}
