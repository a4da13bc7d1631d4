using System.Text.Json;
using Moat.Alerts;
using Moat.Emit;
using Moat.Rules;
using Moat.Tests.Support;

namespace Moat.Tests.Emit;

public sealed class OcsfAlertWriterTests
{
    internal static readonly Lazy<OcsfSchemaValidator> Schema = new(() => OcsfSchemaValidator.Load(Repo.Data("ocsf-schema")));

    internal static readonly AlertExportOptions Options = new() { ProductVersion = "0.0.0-test" };

    internal static string Ocsf(Alert a) => AlertSamples.Line(s => new OcsfAlertWriter(s, Options), a);

    private static JsonElement Root(Alert a) => JsonDocument.Parse(Ocsf(a)).RootElement;

    [Theory]
    [InlineData(nameof(AlertSamples.CloudTrailUpdated))]
    [InlineData(nameof(AlertSamples.CloudTrailNew))]
    [InlineData(nameof(AlertSamples.Login))]
    [InlineData(nameof(AlertSamples.Closed))]
    public void Writes_a_detection_finding_the_schema_accepts_without_errors_or_warnings(string sample)
    {
        var report = Schema.Value.Validate(Ocsf(AlertSamples.ByName(sample)));
        Assert.Empty(report.Errors);
        Assert.Empty(report.Warnings);
    }

    [Fact]
    public void Every_sample_alert_passes_the_schema()
    {
        foreach (var line in AlertSamples.Lines(s => new OcsfAlertWriter(s, Options), [.. AlertSamples.All]))
            Assert.Empty(Schema.Value.Validate(line).Errors);
    }

    [Fact]
    public void Claims_the_schema_version_of_the_reference_files()
    {
        Assert.Equal(OcsfAlertWriter.SchemaVersion, Schema.Value.Version);
        Assert.Equal(OcsfAlertWriter.ClassUid, Schema.Value.ClassUid);
    }

    [Theory]
    [InlineData(nameof(AlertSamples.CloudTrailNew), 1, "Create", 200401, 1, "New")]
    [InlineData(nameof(AlertSamples.CloudTrailUpdated), 2, "Update", 200402, 1, "New")]
    [InlineData(nameof(AlertSamples.Closed), 3, "Close", 200403, 4, "Resolved")]
    public void Activity_and_status_follow_the_alert(string sample, int activityId, string activity, long typeUid, int statusId, string status)
    {
        var e = Root(AlertSamples.ByName(sample));
        Assert.Equal(activityId, e.GetProperty("activity_id").GetInt32());
        Assert.Equal(activity, e.GetProperty("activity_name").GetString());
        Assert.Equal(typeUid, e.GetProperty("type_uid").GetInt64());
        Assert.Equal(statusId, e.GetProperty("status_id").GetInt32());
        Assert.Equal(status, e.GetProperty("status").GetString());
    }

    [Fact]
    public void A_closed_alert_carries_the_reason_as_status_detail()
    {
        var e = Root(AlertSamples.Closed);
        Assert.Equal("closed", e.GetProperty("status_code").GetString());
        Assert.Equal(AlertSamples.ClosedReason, e.GetProperty("status_detail").GetString());
    }

    [Theory]
    [InlineData(Severity.Info, 1)]
    [InlineData(Severity.Low, 2)]
    [InlineData(Severity.Medium, 3)]
    [InlineData(Severity.High, 4)]
    [InlineData(Severity.Critical, 5)]
    public void Severity_id_follows_moat_severity(Severity severity, int expected)
    {
        var alert = AlertSamples.CloudTrailNew with { Severity = severity };
        var line = Ocsf(alert);
        Assert.Equal(expected, JsonDocument.Parse(line).RootElement.GetProperty("severity_id").GetInt32());
        // The caption beside it must be the enum's: the validator warns otherwise.
        Assert.Empty(Schema.Value.Validate(line).Warnings);
    }

    [Fact]
    public void Times_are_milliseconds_of_the_alerts_events()
    {
        var a = AlertSamples.CloudTrailUpdated;
        var e = Root(a);
        Assert.Equal(a.LastSeen.ToUnixTimeMilliseconds(), e.GetProperty("time").GetInt64());
        var info = e.GetProperty("finding_info");
        Assert.Equal(a.FirstSeen.ToUnixTimeMilliseconds(), info.GetProperty("first_seen_time").GetInt64());
        Assert.Equal(a.LastSeen.ToUnixTimeMilliseconds(), info.GetProperty("last_seen_time").GetInt64());
        Assert.Equal(2, e.GetProperty("count").GetInt32());
    }

    [Fact]
    public void Maps_rule_mitre_and_resource_of_a_cloudtrail_alert()
    {
        var a = AlertSamples.CloudTrailUpdated;
        var e = Root(a);
        var info = e.GetProperty("finding_info");
        Assert.Equal(a.Id, info.GetProperty("uid").GetString());
        Assert.Equal(a.RuleId, info.GetProperty("analytic").GetProperty("uid").GetString());
        Assert.Equal(1, info.GetProperty("analytic").GetProperty("type_id").GetInt32());
        var attack = Assert.Single(info.GetProperty("attacks").EnumerateArray());
        Assert.Equal("TA0005", attack.GetProperty("tactic").GetProperty("uid").GetString());
        Assert.Equal("Defense Evasion", attack.GetProperty("tactic").GetProperty("name").GetString());
        Assert.Equal("T1562", attack.GetProperty("technique").GetProperty("uid").GetString());
        Assert.Equal("T1562.007", attack.GetProperty("sub_technique").GetProperty("uid").GetString());
        Assert.Contains("TTPs/Defense Evasion/" + a.RuleId, info.GetProperty("types").EnumerateArray().Select(t => t.GetString()));
        Assert.Equal(["00000000-0000-0000-0000-000000033233", "00000000-0000-0000-0000-0000000d0001"],
            info.GetProperty("related_events").EnumerateArray().Select(r => r.GetProperty("uid").GetString()));

        Assert.Equal(["cloud"], e.GetProperty("metadata").GetProperty("profiles").EnumerateArray().Select(p => p.GetString()));
        Assert.Equal("Moat", e.GetProperty("metadata").GetProperty("product").GetProperty("name").GetString());
        var cloud = e.GetProperty("cloud");
        Assert.Equal(("AWS", "us-east-1", "111122223333"), (cloud.GetProperty("provider").GetString(), cloud.GetProperty("region").GetString(),
            cloud.GetProperty("account").GetProperty("uid").GetString()));

        var resource = Assert.Single(e.GetProperty("resources").EnumerateArray());
        Assert.Equal("sg-0a1b2c3d4e5f60718", resource.GetProperty("uid").GetString());
        Assert.Equal("AWS::EC2::SecurityGroup", resource.GetProperty("type").GetString());
        Assert.Equal("tcp ports 5432-5432 from 0.0.0.0/0", resource.GetProperty("data").GetProperty("rule").GetString());

        var evidences = e.GetProperty("evidences").EnumerateArray().ToList();
        Assert.Equal(2, evidences.Count);
        Assert.Equal("arn:aws:iam::111122223333:user/alice", evidences[0].GetProperty("actor").GetProperty("user").GetProperty("uid").GetString());
        Assert.Equal("alice", evidences[0].GetProperty("actor").GetProperty("user").GetProperty("name").GetString());
        Assert.Equal("AuthorizeSecurityGroupIngress", evidences[0].GetProperty("api").GetProperty("operation").GetString());
        Assert.Equal("198.51.100.23", evidences[0].GetProperty("src_endpoint").GetProperty("ip").GetString());
        Assert.Equal("2001:db8::17", evidences[1].GetProperty("src_endpoint").GetProperty("ip").GetString());
        Assert.StartsWith("aws ec2 revoke-security-group-ingress", e.GetProperty("remediation").GetProperty("desc").GetString());
    }

    [Fact]
    public void A_login_alert_shows_database_user_and_address_without_claiming_a_cloud_account()
    {
        var a = AlertSamples.Login;
        var e = Root(a);
        Assert.False(e.TryGetProperty("cloud", out _));
        Assert.False(e.GetProperty("metadata").TryGetProperty("profiles", out _));
        Assert.Equal("postgres log", e.GetProperty("metadata").GetProperty("log_name").GetString());
        var info = e.GetProperty("finding_info");
        Assert.Equal(3, info.GetProperty("analytic").GetProperty("type_id").GetInt32());
        // The alert's matches aggregate log lines from 08:01:10: that is when the events began.
        Assert.Equal(DateTimeOffset.Parse("2026-11-20T08:01:10Z", System.Globalization.CultureInfo.InvariantCulture).ToUnixTimeMilliseconds(),
            info.GetProperty("first_seen_time").GetInt64());
        Assert.Contains("Unusual Behaviors/Database/CredentialAccess:RDS-AnomalousBehavior.SuccessfulLogin",
            info.GetProperty("types").EnumerateArray().Select(t => t.GetString()));
        var evidence = e.GetProperty("evidences")[0];
        Assert.Equal("etl_admin", evidence.GetProperty("actor").GetProperty("user").GetProperty("name").GetString());
        Assert.Equal("orders", evidence.GetProperty("database").GetProperty("name").GetString());
        Assert.Equal(1, evidence.GetProperty("database").GetProperty("type_id").GetInt32());
        Assert.Equal("198.51.100.7", evidence.GetProperty("src_endpoint").GetProperty("ip").GetString());
        Assert.Equal("AWS::RDS::DBInstance", e.GetProperty("resources")[0].GetProperty("type").GetString());
    }

    [Fact]
    public void A_service_caller_is_not_written_as_an_ip_address()
    {
        var a = AlertSamples.CloudTrailNew;
        var json = a.Matches[0].FindingJson.Replace("\"sourceIp\":\"198.51.100.23\"", "\"sourceIp\":\"ec2.amazonaws.com\"");
        var alert = a with { Matches = [a.Matches[0] with { FindingJson = json }] };
        var line = Ocsf(alert);
        Assert.Empty(Schema.Value.Validate(line).Errors);
        Assert.Equal("ec2.amazonaws.com", JsonDocument.Parse(line).RootElement.GetProperty("evidences")[0].GetProperty("src_endpoint").GetProperty("svc_name").GetString());
    }

    [Fact]
    public void The_same_alert_gives_the_same_bytes_and_a_changed_alert_a_new_event_uid()
    {
        var a = AlertSamples.CloudTrailUpdated;
        Assert.Equal(Ocsf(a), Ocsf(a));
        string Uid(Alert x) => JsonDocument.Parse(Ocsf(x)).RootElement.GetProperty("metadata").GetProperty("uid").GetString()!;
        Assert.NotEqual(Uid(a), Uid(a with { Status = "closed", StatusReason = "done" }));
    }

    [Fact]
    public void Sample_alerts_match_the_golden_ocsf()
    {
        var lines = AlertSamples.Lines(s => new OcsfAlertWriter(s, Options), [.. AlertSamples.All]);
        Golden.AssertMatches("Emit/golden/alerts.ocsf.jsonl", string.Join("\n", lines) + "\n");
    }
}
