using System.Text.Json;
using Moat.Alerts;

namespace Moat.Emit;

/// <summary>
/// <c>moat alerts list --format guardduty</c>: one GuardDuty-shaped finding per alert, the shape
/// <see cref="GuardDutyFindingWriter"/> gives a single finding, with the alert's view of it: <c>id</c> is the
/// alert id, <c>severity</c> and <c>title</c> the alert's, <c>service.count</c> the number of matches,
/// <c>eventFirstSeen</c>/<c>eventLastSeen</c> (and <c>createdAt</c>/<c>updatedAt</c>) the span the matches observed,
/// and <c>service.archived</c> true once the alert is closed, as GuardDuty archives a finding. For login alerts
/// the successful and failed attempts are summed over the matches. The resource, action and anomaly details are
/// the first match's.
/// </summary>
public sealed class GuardDutyAlertWriter(Stream output) : IAlertWriter
{
    private readonly AlertLines _lines = new(output);

    public IReadOnlyList<SkippedAlert> Skipped => _lines.Skipped;

    public bool Write(Alert alert) => _lines.Write(alert, Render);

    private static void Render(Utf8JsonWriter w, AlertFacts x)
    {
        var a = x.Alert;
        var f = x.First;
        GuardDutyFindingWriter.WriteObject(w, f, new GuardDutyEnvelope(
            a.Id, a.Severity, a.Title, AlertFacts.Iso(x.ObservedFrom), AlertFacts.Iso(x.ObservedTo), x.Account, a.Count, x.Closed,
            x.Logins.Sum(l => l.SuccessfulLoginCount), x.Logins.Sum(l => l.FailedLoginCount),
            new
            {
                moatRuleId = a.RuleId,
                moatAlertId = a.Id,
                status = a.Status,
                statusReason = a.StatusReason,
                dedupKey = a.DedupKey,
                severityReason = f.SeverityReason,
                runbook = f.Runbook,
                remediation = f.Remediation,
            }));
    }

    public void Dispose() => _lines.Dispose();
}
