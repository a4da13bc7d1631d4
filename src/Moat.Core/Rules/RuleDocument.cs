namespace Moat.Rules;

public enum Severity
{
    Info = 0,
    Low = 1,
    Medium = 2,
    High = 3,
    Critical = 4,
}

public static class SeverityNames
{
    public static string Name(this Severity s) => s switch
    {
        Severity.Info => "info",
        Severity.Low => "low",
        Severity.Medium => "medium",
        Severity.High => "high",
        _ => "critical",
    };

    public static bool TryParse(string? text, out Severity severity)
    {
        switch (text?.Trim().ToLowerInvariant())
        {
            case "info" or "informational": severity = Severity.Info; return true;
            case "low": severity = Severity.Low; return true;
            case "medium": severity = Severity.Medium; return true;
            case "high": severity = Severity.High; return true;
            case "critical": severity = Severity.Critical; return true;
            default: severity = Severity.Info; return false;
        }
    }
}

/// <summary>A text with {{field.path}} placeholders, as written in the rule; <paramref name="Span"/> is where the text begins.</summary>
public sealed record TemplateText(string Text, SourceSpan Span);

public sealed record MitreRef(string? Tactic, string? Technique);

public sealed record SeverityWhen(Severity Severity, ConditionSyntax Condition, string? Reason);

/// <summary>
/// How matches become alerts: matches with the same rendered key within <see cref="Period"/> of an alert's
/// first match are one alert; an alert opens once <see cref="Threshold"/> matches (optionally with that many
/// distinct values of <see cref="DistinctField"/>) fall within one period.
/// </summary>
public sealed record DedupSpec(TemplateText? Key, TimeSpan Period)
{
    public int Threshold { get; init; } = 1;
    public string? DistinctField { get; init; }
}

/// <summary>
/// An embedded test. Besides match/no match it may pin the finding's severity and any output field, by its
/// JSON name in the finding (<c>title</c>, <c>dedupKey</c>, <c>resource.id</c>, <c>remediation</c>, ...).
/// </summary>
public sealed record RuleTest(string Name, bool Match, Severity? Severity, YValue Event, SourceSpan Span,
    IReadOnlyList<KeyValuePair<string, string>> Output);

public sealed record ChangelogEntry(string Date, string Change);

/// <summary>
/// A rule exactly as read from its file: plain data, no behaviour. The compiler turns it into a
/// <see cref="Moat.Compile.CompiledRule"/>; tools that list or document rules can work from this alone.
/// </summary>
public sealed record RuleDocument(
    string Id,
    string Title,
    string Description,
    Severity Severity,
    IReadOnlyList<SeverityWhen> SeverityWhen,
    IReadOnlyList<MitreRef> Mitre,
    IReadOnlyList<string> Tags,
    IReadOnlyList<string> References,
    IReadOnlyList<string> Summary,
    IReadOnlyList<KeyValuePair<string, TemplateText>> Resource,
    TemplateText? Runbook,
    TemplateText? Remediation,
    DedupSpec Dedup,
    ConditionSyntax Condition,
    IReadOnlyList<RuleTest> Tests,
    IReadOnlyList<ChangelogEntry> Changelog,
    IReadOnlyList<string> FalsePositives,
    string? Author,
    SourceSpan Span)
{
    /// <summary>Why the base severity is what it is.</summary>
    public string? SeverityReason { get; init; }

    /// <summary>How the rule detects (the catalog's "strategy").</summary>
    public string? Strategy { get; init; }

    /// <summary><c>success</c> (only calls that took effect), <c>attempts</c> (failed calls matter too), or null when the rule does not say.</summary>
    public string? Outcome { get; init; }

    /// <summary><c>moat</c> or <c>sigma</c>: which language the rule was written in.</summary>
    public string Kind { get; init; } = "moat";

    /// <summary>A Sigma rule's <c>name</c>, by which correlations may refer to it.</summary>
    public string? SigmaName { get; init; }

    /// <summary>A template for the finding's title (defaults to the rule title).</summary>
    public TemplateText? FindingTitle { get; init; }
}

/// <summary>The condition language's syntax tree (grammar in docs/rule-language.md).</summary>
public abstract record ConditionSyntax(SourceSpan Span);

public sealed record AllSyntax(IReadOnlyList<ConditionSyntax> Items, SourceSpan Span) : ConditionSyntax(Span);

public sealed record AnySyntax(IReadOnlyList<ConditionSyntax> Items, SourceSpan Span) : ConditionSyntax(Span);

public sealed record NotSyntax(ConditionSyntax Inner, SourceSpan Span) : ConditionSyntax(Span);

public enum Quantifier
{
    Any,
    All,
    None,
}

/// <summary>any_item / all_items / no_item: conditions that must hold for the same element of an array.</summary>
public sealed record ItemsSyntax(Quantifier Quantifier, string Path, string? Alias, ConditionSyntax Where, SourceSpan Span) : ConditionSyntax(Span);

/// <summary>A test of one field (or of alternative paths written <c>a|b</c>) with one or more operators.</summary>
public sealed record FieldSyntax(string Path, IReadOnlyList<OperatorSyntax> Operators, SourceSpan Span) : ConditionSyntax(Span);

public sealed record OperatorSyntax(string Name, YValue Value, SourceSpan Span);

/// <summary>port_range: does the protocol/from/to triple of the scope cover any of the ports?</summary>
public sealed record PortRangeSyntax(string Protocol, string From, string To, YValue Ports, SourceSpan Span) : ConditionSyntax(Span);
