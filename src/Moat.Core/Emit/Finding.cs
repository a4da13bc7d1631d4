using Moat.Rules;

namespace Moat.Emit;

/// <summary>
/// One rule matching one event: everything an analyst needs to act, rendered once. <see cref="Event"/> holds
/// the record's original bytes so the JSON output carries it untouched.
/// </summary>
public sealed record Finding(
    string RuleId,
    string Title,
    string Description,
    Severity Severity,
    string? SeverityReason,
    string? EventId,
    string? EventTime,
    string? EventSource,
    string? EventName,
    string? AccountId,
    string? Region,
    string? Principal,
    string? SourceIp,
    string? UserAgent,
    IReadOnlyList<KeyValuePair<string, IReadOnlyList<string>>> Resource,
    IReadOnlyList<MitreRef> Mitre,
    IReadOnlyList<string> Tags,
    IReadOnlyList<string> References,
    IReadOnlyList<KeyValuePair<string, string>> Summary,
    string Runbook,
    string Remediation,
    string DedupKey,
    string Source,
    long Record,
    ReadOnlyMemory<byte> Event)
{
    /// <summary>The rule's author: the Detection Rule License requires every alert from a SigmaHQ rule to keep it.</summary>
    public string? Author { get; init; }

    public IReadOnlyList<string> FalsePositives { get; init; } = [];

    /// <summary><c>moat</c>, <c>sigma</c>, <c>sigma-correlation</c> or <c>login</c>.</summary>
    public string RuleKind { get; init; } = "moat";

    /// <summary>For login findings: the GuardDuty-shaped details (database, user, counts, unusual and historical behaviour).</summary>
    public Moat.Logins.LoginFindingDetails? Login { get; init; }
}
