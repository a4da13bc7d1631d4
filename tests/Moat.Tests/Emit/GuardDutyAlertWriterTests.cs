using System.Text;
using System.Text.Json;
using Moat.Alerts;
using Moat.Emit;
using Moat.Tests.Support;

namespace Moat.Tests.Emit;

public sealed class GuardDutyAlertWriterTests
{
    private static JsonElement Root(Alert a) => JsonDocument.Parse(AlertSamples.Line(s => new GuardDutyAlertWriter(s), a)).RootElement;

    [Fact]
    public void Count_times_and_archived_come_from_the_alert()
    {
        var a = AlertSamples.CloudTrailUpdated;
        var f = Root(a);
        Assert.Equal(a.Id, f.GetProperty("id").GetString());
        Assert.Equal(a.RuleId, f.GetProperty("type").GetString());
        Assert.Equal(8.0, f.GetProperty("severity").GetDouble());
        var service = f.GetProperty("service");
        Assert.Equal(2, service.GetProperty("count").GetInt64());
        Assert.Equal("2026-11-20T09:14:41.000Z", service.GetProperty("eventFirstSeen").GetString());
        Assert.Equal("2026-11-20T09:19:02.000Z", service.GetProperty("eventLastSeen").GetString());
        Assert.Equal("2026-11-20T09:14:41.000Z", f.GetProperty("createdAt").GetString());
        Assert.Equal("2026-11-20T09:19:02.000Z", f.GetProperty("updatedAt").GetString());
        Assert.False(service.GetProperty("archived").GetBoolean());
        Assert.Equal("AWS_API_CALL", service.GetProperty("action").GetProperty("actionType").GetString());
        Assert.Equal("111122223333", f.GetProperty("accountId").GetString());
    }

    [Fact]
    public void A_closed_alert_is_archived_and_says_why()
    {
        var f = Root(AlertSamples.Closed);
        Assert.True(f.GetProperty("service").GetProperty("archived").GetBoolean());
        var info = JsonDocument.Parse(f.GetProperty("service").GetProperty("additionalInfo").GetProperty("value").GetString()!).RootElement;
        Assert.Equal("closed", info.GetProperty("status").GetString());
        Assert.Equal(AlertSamples.ClosedReason, info.GetProperty("statusReason").GetString());
        Assert.Equal(AlertSamples.Closed.Id, info.GetProperty("moatAlertId").GetString());
    }

    [Fact]
    public void A_login_alert_sums_the_attempts_of_its_matches_over_the_whole_span()
    {
        var f = Root(AlertSamples.Login);
        Assert.Equal("RDSDBInstance", f.GetProperty("resource").GetProperty("resourceType").GetString());
        var service = f.GetProperty("service");
        Assert.Equal(2, service.GetProperty("count").GetInt64());
        Assert.Equal("RdsLoginEvents", service.GetProperty("featureName").GetString());
        // The first match aggregates lines from 08:01:10; the alert's first match is stored at its last line.
        Assert.Equal("2026-11-20T08:01:10.000Z", service.GetProperty("eventFirstSeen").GetString());
        Assert.Equal("2026-11-20T08:21:30.000Z", service.GetProperty("eventLastSeen").GetString());
        var attempt = service.GetProperty("action").GetProperty("rdsLoginAttemptAction");
        var login = Assert.Single(attempt.GetProperty("LoginAttributes").EnumerateArray());
        Assert.Equal(2, login.GetProperty("successfulLoginAttempts").GetInt64());
        Assert.Equal(2, login.GetProperty("failedLoginAttempts").GetInt64());
        Assert.Equal("198.51.100.7", attempt.GetProperty("remoteIpDetails").GetProperty("ipAddressV4").GetString());
        Assert.True(service.TryGetProperty("detection", out _));
    }

    [Fact]
    public void The_finding_writer_still_writes_a_single_finding_as_before()
    {
        // An alert of one finding and the finding itself differ only where the alert speaks: id and times.
        var finding = FindingJsonReader.Read(AlertSamples.GoldenFindings[0]);
        using var ms = new MemoryStream();
        using (var w = new GuardDutyFindingWriter(ms)) w.Write(finding);
        var single = JsonDocument.Parse(Encoding.UTF8.GetString(ms.ToArray())).RootElement;
        Assert.Equal("2026-11-20T09:14:41Z", single.GetProperty("createdAt").GetString());
        Assert.Equal(1, single.GetProperty("service").GetProperty("count").GetInt64());
        Assert.False(single.GetProperty("service").GetProperty("archived").GetBoolean());
        Assert.Equal(32, single.GetProperty("id").GetString()!.Length);
        var info = JsonDocument.Parse(single.GetProperty("service").GetProperty("additionalInfo").GetProperty("value").GetString()!).RootElement;
        Assert.Equal(["moatRuleId", "severityReason", "runbook", "remediation"], info.EnumerateObject().Select(p => p.Name));
    }

    [Fact]
    public void Sample_alerts_match_the_golden_guardduty()
    {
        var lines = AlertSamples.Lines(s => new GuardDutyAlertWriter(s), [.. AlertSamples.All]);
        Golden.AssertMatches("Emit/golden/alerts.guardduty.jsonl", string.Join("\n", lines) + "\n");
    }
}
