using System.Text;
using Moat.Alerts;
using Moat.Emit;
using Moat.Logins;
using Moat.Rules;
using Moat.Tests.Support;

namespace Moat.Tests.Emit;

/// <summary>
/// Alerts built the way <c>moat scan --state</c> builds them: findings the built-in rules produced on the sample
/// CloudTrail logs (a frozen copy of what `moat scan samples/cloudtrail` printed, <c>golden/sample-findings.jsonl</c>) and login findings, turned into stored matches and grouped.
/// </summary>
internal static class AlertSamples
{
    public const string DatabasePortRule = "AWS.EC2.SecurityGroupDatabasePortOpenToWorld";
    public const string OpenToWorldRule = "AWS.EC2.SecurityGroupOpenToWorld";
    public const string AdminPortRule = "AWS.EC2.SecurityGroupAdminPortOpenToWorld";
    public const string RdsIngressRule = "AWS.RDS.SecurityGroupIngressAuthorized";
    public const string ClosedReason = "change approved in CHG-1042; the group fronts a public read replica";

    public static IReadOnlyList<string> GoldenFindings { get; } =
        File.ReadAllLines(Repo.Path("tests", "Moat.Tests", "Emit", "golden", "sample-findings.jsonl")).Where(l => l.Length > 0).ToList();

    private static readonly Lazy<IReadOnlyList<Alert>> Built = new(Build);

    /// <summary>Every sample alert, in the order the grouper returns them (first seen).</summary>
    public static IReadOnlyList<Alert> All => Built.Value;

    /// <summary>A CloudTrail rule alert that two events joined (database port opened twice on one group).</summary>
    public static Alert CloudTrailUpdated => All.Single(a => a.RuleId == DatabasePortRule && a.Count == 2);

    /// <summary>A CloudTrail rule alert with one event, whose rule description exceeds ASFF's 1,024 characters.</summary>
    public static Alert CloudTrailNew => All.Single(a => a.RuleId == OpenToWorldRule);

    /// <summary>A login alert (ruleKind login): two anomalous-login findings for one user and address.</summary>
    public static Alert Login => All.Single(a => a.RuleId == LoginDetector.AnomalousSuccess);

    /// <summary>A closed alert, with the analyst's reason.</summary>
    public static Alert Closed => All.Single(a => a.Status == "closed");

    public static TheoryData<string> Names => new() { nameof(CloudTrailUpdated), nameof(CloudTrailNew), nameof(Login), nameof(Closed) };

    public static Alert ByName(string name) => name switch
    {
        nameof(CloudTrailUpdated) => CloudTrailUpdated,
        nameof(CloudTrailNew) => CloudTrailNew,
        nameof(Login) => Login,
        nameof(Closed) => Closed,
        _ => throw new ArgumentException(name),
    };

    private static IReadOnlyList<Alert> Build()
    {
        var recorder = new MatchRecorder([]);
        var findings = GoldenFindings.Select(FindingJsonReader.Read).ToList();
        // A second event on the first match's group, within the rule's period: the alert takes it as an update.
        var first = findings.First(f => f.RuleId == DatabasePortRule);
        findings.Add(first with { EventId = "00000000-0000-0000-0000-0000000d0001", EventTime = "2026-11-20T09:19:02Z", SourceIp = "2001:db8::17" });
        findings.Add(LoginFindings.ToFinding(LoginDetails("2026-11-20T08:01:10Z", "2026-11-20T08:03:40Z", "postgresql.log:118", 1, 2), Severity.Medium, "the client address is public"));
        findings.Add(LoginFindings.ToFinding(LoginDetails("2026-11-20T08:20:00Z", "2026-11-20T08:21:30Z", "postgresql.log:164", 1, 0), Severity.High, "after a pattern of failed logins"));

        var matches = findings.Select(recorder.ToMatch).ToList();
        var open = AlertGrouper.Group(matches, new Dictionary<string, (string, string?)>());
        var closedId = open.Single(a => a.RuleId == RdsIngressRule && a.DedupKey.EndsWith(":legacy-orders", StringComparison.Ordinal)).Id;
        return AlertGrouper.Group(matches, new Dictionary<string, (string, string?)> { [closedId] = ("closed", ClosedReason) });
    }

    private static LoginFindingDetails LoginDetails(string first, string last, string line, long successes, long failures) => new(
        LoginDetector.AnomalousSuccess, "prod-db-1", null, "postgres", "etl_admin", "psql", "orders", "on", "scram-sha-256",
        "198.51.100.7", false, "AS64500 Example Transit", null, successes, failures, 0, successes + failures,
        DateTimeOffset.Parse(first, System.Globalization.CultureInfo.InvariantCulture), DateTimeOffset.Parse(last, System.Globalization.CultureInfo.InvariantCulture),
        [new("asnOrg", "AS64500 Example Transit")],
        [new("asnOrg", [("AS64501 Example Corp", 412L, "FREQUENT")])],
        [line]);

    /// <summary>Writes alerts with a writer and returns the output lines.</summary>
    public static List<string> Lines(Func<Stream, IAlertWriter> create, params Alert[] alerts)
    {
        using var ms = new MemoryStream();
        using (var w = create(ms))
            foreach (var a in alerts) w.Write(a);
        return [.. Encoding.UTF8.GetString(ms.ToArray()).Split('\n', StringSplitOptions.RemoveEmptyEntries)];
    }

    public static string Line(Func<Stream, IAlertWriter> create, Alert alert) => Assert.Single(Lines(create, alert));
}

/// <summary>A clock that says what the test tells it.</summary>
internal sealed class FixedClock(DateTimeOffset now) : TimeProvider
{
    public override DateTimeOffset GetUtcNow() => now;
}
