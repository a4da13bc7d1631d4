namespace Moat.Rules.Sigma;

/// <summary>Values for <c>%name%</c> placeholders under <c>|expand</c> (<c>--sigma-placeholder NAME=V1,V2</c>).</summary>
public sealed record SigmaOptions(IReadOnlyDictionary<string, IReadOnlyList<string>> Placeholders)
{
    public static SigmaOptions Empty { get; } = new(new Dictionary<string, IReadOnlyList<string>>());
}

/// <summary>A Sigma filter document: extra conditions ANDed into the rules it names.</summary>
public sealed record SigmaFilter(string Id, IReadOnlyList<string> Rules, ConditionSyntax Condition, SourceSpan Span);

public enum CorrelationType
{
    EventCount,
    ValueCount,
    Temporal,
    TemporalOrdered,
    ValueSum,
    ValueAvg,
    ValuePercentile,
}

/// <summary>The threshold of a correlation: one or two comparisons (gt/gte/lt/lte/eq/neq), and the field for value_*.</summary>
public sealed record CorrelationCondition(IReadOnlyList<(string Op, double Value)> Comparisons, string? Field, double? Percentile);

/// <summary>A Sigma correlation document as plain data (spec: sigma-correlation-rules-specification).</summary>
public sealed record SigmaCorrelation(
    string Id,
    string? Name,
    string Title,
    string Description,
    CorrelationType Type,
    IReadOnlyList<string> Rules,
    IReadOnlyList<string> GroupBy,
    TimeSpan Timespan,
    CorrelationCondition Condition,
    IReadOnlyDictionary<string, IReadOnlyDictionary<string, string>> Aliases,
    bool Generate,
    Severity Severity,
    IReadOnlyList<MitreRef> Mitre,
    IReadOnlyList<string> Tags,
    IReadOnlyList<string> References,
    IReadOnlyList<string> FalsePositives,
    string? Author,
    SourceSpan Span);

/// <summary>What a set of Sigma YAML documents holds, translated.</summary>
public sealed record SigmaDocuments(List<RuleDocument> Rules, List<SigmaCorrelation> Correlations, List<SigmaFilter> Filters);
