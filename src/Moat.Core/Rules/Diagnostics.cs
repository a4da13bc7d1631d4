namespace Moat.Rules;

/// <summary>Where something was written: file, 1-based line and column.</summary>
public sealed record SourceSpan(string File, int Line, int Column)
{
    public static SourceSpan None(string file) => new(file, 0, 0);

    public override string ToString() => Line > 0 ? $"{File}:{Line}:{Column}" : File;
}

public enum DiagnosticLevel
{
    Error,
    Warning,
}

/// <summary>A problem found while loading a rule. Codes are stable; messages may be reworded.</summary>
public sealed record Diagnostic(string Code, DiagnosticLevel Level, SourceSpan Span, string Message)
{
    public override string ToString() => $"{Span}: {(Level == DiagnosticLevel.Error ? "error" : "warning")} {Code}: {Message}";
}

/// <summary>
/// The catalogue of diagnostic codes (documented in docs/diagnostics.md). Tests assert codes, not wording,
/// so messages can improve without breaking anyone who filters on a code.
/// </summary>
public static class DiagnosticCodes
{
    public const string YamlSyntax = "MOAT001";
    public const string MissingField = "MOAT002";
    public const string WrongType = "MOAT003";
    public const string BadSeverity = "MOAT004";
    public const string UnknownKey = "MOAT005";
    public const string UnknownOperator = "MOAT006";
    public const string BadRegex = "MOAT007";
    public const string BadCidr = "MOAT008";
    public const string BadNumber = "MOAT009";
    public const string DuplicateId = "MOAT010";
    public const string BadTemplate = "MOAT011";
    public const string BadTestEvent = "MOAT012";
    public const string NotIndexed = "MOAT013";
    public const string BadMitre = "MOAT014";
    public const string EmptyList = "MOAT015";
    public const string TooDeep = "MOAT016";
    public const string BadId = "MOAT017";
    public const string BadPath = "MOAT018";
    public const string BadDuration = "MOAT019";
    public const string NoTests = "MOAT020";
    public const string UnreadableFile = "MOAT021";
    public const string OutcomeNotEnforced = "MOAT022";
    public const string SigmaUnsupported = "MOAT030";
    public const string SigmaPlaceholder = "MOAT031";
    public const string SigmaCondition = "MOAT032";
    public const string SigmaReference = "MOAT033";
    public const string SuppressionExpired = "MOAT034";
    public const string ConfigShape = "MOAT040";
    public const string ConfigMissingKey = "MOAT041";
    public const string ConfigUnknownKey = "MOAT042";
    public const string DestinationBadType = "MOAT043";
    public const string DestinationBadUrl = "MOAT044";
    public const string DestinationBadValue = "MOAT045";
    public const string DuplicateDestination = "MOAT046";
    public const string UndefinedVariable = "MOAT047";
    public const string PlainHttpUrl = "MOAT048";
    public const string TokenInFile = "MOAT049";

    public static IReadOnlyList<(string Code, string Meaning)> All { get; } =
    [
        (YamlSyntax, "The file is not valid YAML."),
        (MissingField, "A required key is missing (id, title, severity, condition, or a test's event/match)."),
        (WrongType, "A key holds the wrong kind of value (a list where a text is expected, etc.)."),
        (BadSeverity, "A severity is not one of info, low, medium, high, critical."),
        (UnknownKey, "A key is not part of the rule format (warning: probably a typo)."),
        (UnknownOperator, "A condition uses an operator the language does not have."),
        (BadRegex, "A regular expression does not compile."),
        (BadCidr, "A CIDR block or IP address does not parse."),
        (BadNumber, "A number (port, comparison value) does not parse."),
        (DuplicateId, "Two rules have the same id; the later one is not loaded."),
        (BadTemplate, "A {{...}} template is not closed or uses an unknown filter."),
        (BadTestEvent, "An embedded test's event is not a JSON object."),
        (NotIndexed, "The rule does not pin eventName, so every event visits it (warning)."),
        (BadMitre, "A MITRE ATT&CK id is not of the form TA0000 / T0000 / T0000.000."),
        (EmptyList, "all/any/in lists must not be empty."),
        (TooDeep, "A condition nests deeper than the limit (64)."),
        (BadId, "A rule id contains characters outside letters, digits and . _ - :"),
        (BadPath, "A field path is empty or malformed."),
        (BadDuration, "A duration is not a number followed by s, m, h or d."),
        (NoTests, "The rule has no embedded tests (warning)."),
        (UnreadableFile, "A rule file or folder could not be read."),
        (OutcomeNotEnforced, "outcome: success, but the condition does not exclude failed calls (warning)."),
        (SigmaUnsupported, "Sigma syntax that the specification removed or forbids (v1 aggregations, timeframe, |all on one value, ...)."),
        (SigmaPlaceholder, "A Sigma %placeholder% under |expand has no values (--sigma-placeholder NAME=VALUE)."),
        (SigmaCondition, "A Sigma condition does not parse or names an unknown search identifier."),
        (SigmaReference, "A Sigma correlation or filter names a rule that is not loaded."),
        (SuppressionExpired, "A suppression's expires date has passed; it no longer applies (warning)."),
        (ConfigShape, "moat.yaml, its destinations list or a destination has the wrong shape (a list where a mapping is expected, ...)."),
        (ConfigMissingKey, "A destination lacks a required key (name, type, url)."),
        (ConfigUnknownKey, "A key is not part of the moat.yaml format (warning: probably a typo)."),
        (DestinationBadType, "A destination's type is not webhook or slack."),
        (DestinationBadUrl, "A destination's url (or runbook_url) is not an absolute http:// or https:// URL."),
        (DestinationBadValue, "A destination setting has a bad value (name, token, timeout, retries, min_severity, rules)."),
        (DuplicateDestination, "Two destinations have the same name; the later one is not used."),
        (UndefinedVariable, "A ${NAME} reference names an environment variable that is not set or empty, or is not closed."),
        (PlainHttpUrl, "A destination sends alerts over plain http:// to a host other than this machine (warning)."),
        (TokenInFile, "A destination's token is written in moat.yaml instead of referencing an environment variable (warning)."),
    ];
}
