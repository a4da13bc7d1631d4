using System.Text;
using System.Text.Json;
using System.Text.RegularExpressions;
using Moat.Alerts;
using Moat.Emit;
using Moat.Rules;
using Moat.Tests.Support;

namespace Moat.Tests.Emit;

public sealed partial class AsffAlertWriterTests
{
    private static readonly DateTimeOffset ExportTime = new(2026, 12, 1, 12, 0, 0, TimeSpan.Zero);

    /// <summary>The account a login alert is imported under (login alerts name no account).</summary>
    private const string ImportAccount = "444455556666";

    private static readonly AlertExportOptions Options = new() { AccountId = ImportAccount, Clock = new FixedClock(ExportTime) };

    private static string Asff(Alert a, AlertExportOptions? options = null) => AlertSamples.Line(s => new AsffAlertWriter(s, options ?? Options), a);

    private static JsonElement Root(Alert a, AlertExportOptions? options = null) => JsonDocument.Parse(Asff(a, options)).RootElement;

    // RFC 3339 in UTC with milliseconds, as Security Hub takes it.
    [GeneratedRegex(@"^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}\.\d{3}Z$")]
    private static partial Regex Timestamp();

    private static readonly string[] Namespaces = ["Software and Configuration Checks", "TTPs", "Effects", "Unusual Behaviors", "Sensitive Data Identifications"];

    [Theory]
    [InlineData(nameof(AlertSamples.CloudTrailUpdated))]
    [InlineData(nameof(AlertSamples.CloudTrailNew))]
    [InlineData(nameof(AlertSamples.Login))]
    [InlineData(nameof(AlertSamples.Closed))]
    public void Writes_every_attribute_security_hub_requires(string sample)
    {
        var f = Root(AlertSamples.ByName(sample));
        Assert.Equal("2018-10-08", f.GetProperty("SchemaVersion").GetString());
        Assert.InRange(f.GetProperty("Id").GetString()!.Length, 1, 512);
        Assert.Matches(@"^arn:aws:securityhub:[a-z0-9-]+:(\d{12}):product/\1/default$", f.GetProperty("ProductArn").GetString());
        Assert.InRange(f.GetProperty("GeneratorId").GetString()!.Length, 1, 512);
        Assert.Matches(@"^\d{12}$", f.GetProperty("AwsAccountId").GetString());
        Assert.EndsWith(f.GetProperty("AwsAccountId").GetString() + ":product/" + f.GetProperty("AwsAccountId").GetString() + "/default", f.GetProperty("ProductArn").GetString());
        var types = f.GetProperty("Types").EnumerateArray().Select(t => t.GetString()!).ToList();
        Assert.InRange(types.Count, 1, 50);
        Assert.All(types, t => Assert.Contains(t.Split('/')[0], Namespaces));
        foreach (var name in new[] { "CreatedAt", "UpdatedAt", "FirstObservedAt", "LastObservedAt" })
            Assert.Matches(Timestamp(), f.GetProperty(name).GetString());
        Assert.Contains(f.GetProperty("Severity").GetProperty("Label").GetString(), new[] { "INFORMATIONAL", "LOW", "MEDIUM", "HIGH", "CRITICAL" });
        Assert.InRange(f.GetProperty("Title").GetString()!.Length, 1, AsffAlertWriter.MaxTitle);
        Assert.InRange(f.GetProperty("Description").GetString()!.Length, 1, AsffAlertWriter.MaxDescription);
        var resources = f.GetProperty("Resources").EnumerateArray().ToList();
        Assert.InRange(resources.Count, 1, 32);
        Assert.All(resources, r =>
        {
            Assert.InRange(r.GetProperty("Type").GetString()!.Length, 1, 256);
            Assert.NotEmpty(r.GetProperty("Id").GetString()!);
            Assert.Contains(r.GetProperty("Partition").GetString(), new[] { "aws", "aws-cn", "aws-us-gov" });
        });
        Assert.Contains(f.GetProperty("Workflow").GetProperty("Status").GetString(), new[] { "NEW", "RESOLVED" });
        Assert.Contains(f.GetProperty("RecordState").GetString(), new[] { "ACTIVE", "ARCHIVED" });
    }

    [Fact]
    public void Product_fields_are_strings_within_the_limits()
    {
        foreach (var line in AlertSamples.Lines(s => new AsffAlertWriter(s, Options), [.. AlertSamples.All]))
        {
            var fields = JsonDocument.Parse(line).RootElement.GetProperty("ProductFields").EnumerateObject().ToList();
            Assert.InRange(fields.Count, 1, AsffAlertWriter.MaxProductFields);
            Assert.All(fields, p =>
            {
                Assert.InRange(p.Name.Length, 1, AsffAlertWriter.MaxProductFieldKey);
                Assert.Equal(JsonValueKind.String, p.Value.ValueKind);
                Assert.InRange(p.Value.GetString()!.Length, 1, AsffAlertWriter.MaxProductFieldValue);
            });
        }
        var cloudTrail = Root(AlertSamples.CloudTrailUpdated).GetProperty("ProductFields");
        Assert.Equal(AlertSamples.DatabasePortRule, cloudTrail.GetProperty("moat/ruleId").GetString());
        Assert.Equal("2", cloudTrail.GetProperty("moat/count").GetString());
    }

    [Fact]
    public void Cuts_text_to_the_asff_limits()
    {
        // The open-to-world rule's description is 1,268 characters.
        var a = AlertSamples.CloudTrailNew;
        Assert.True(JsonDocument.Parse(a.Matches[0].FindingJson).RootElement.GetProperty("description").GetString()!.Length > AsffAlertWriter.MaxDescription);
        var longTitle = string.Concat(Enumerable.Repeat("Security group opened to the world ", 10));
        var f = Root(a with { Title = longTitle, Status = "closed", StatusReason = new string('r', 600) });
        var description = f.GetProperty("Description").GetString()!;
        Assert.Equal(AsffAlertWriter.MaxDescription, description.Length);
        Assert.EndsWith("…", description);
        var title = f.GetProperty("Title").GetString()!;
        Assert.Equal(AsffAlertWriter.MaxTitle, title.Length);
        Assert.StartsWith(longTitle[..200], title);
        Assert.Equal(AsffAlertWriter.MaxNote, f.GetProperty("Note").GetProperty("Text").GetString()!.Length);
        Assert.InRange(f.GetProperty("Remediation").GetProperty("Recommendation").GetProperty("Text").GetString()!.Length, 1, AsffAlertWriter.MaxRecommendation);
    }

    [Fact]
    public void Never_cuts_a_character_in_half()
    {
        // 🔒 is two UTF-16 units; a cut between them would leave half a character.
        var title = new string('x', AsffAlertWriter.MaxTitle - 2) + "🔒🔒";
        var cut = Root(AlertSamples.CloudTrailNew with { Title = title }).GetProperty("Title").GetString()!;
        Assert.True(cut.Length <= AsffAlertWriter.MaxTitle);
        Assert.EndsWith("x…", cut);
        for (int i = 0; i < cut.Length; i++)
            if (char.IsSurrogate(cut[i]))
                Assert.True((i + 1 < cut.Length && char.IsSurrogatePair(cut[i], cut[i + 1])) || (i > 0 && char.IsSurrogatePair(cut[i - 1], cut[i])), $"half a character at {i}");
    }

    [Theory]
    [InlineData(Severity.Info, "INFORMATIONAL", 0)]
    [InlineData(Severity.Low, "LOW", 1)]
    [InlineData(Severity.Medium, "MEDIUM", 40)]
    [InlineData(Severity.High, "HIGH", 70)]
    [InlineData(Severity.Critical, "CRITICAL", 90)]
    public void Maps_severity_to_label_and_normalized_score(Severity severity, string label, int normalized)
    {
        var s = Root(AlertSamples.CloudTrailNew with { Severity = severity }).GetProperty("Severity");
        Assert.Equal(label, s.GetProperty("Label").GetString());
        Assert.Equal(normalized, s.GetProperty("Normalized").GetInt32());
        // Security Hub derives the label from a normalized score by these bands; both must say the same.
        var band = normalized switch { 0 => "INFORMATIONAL", < 40 => "LOW", < 70 => "MEDIUM", < 90 => "HIGH", _ => "CRITICAL" };
        Assert.Equal(label, band);
        Assert.Equal(severity.Name(), s.GetProperty("Original").GetString());
    }

    [Fact]
    public void Maps_a_cloudtrail_alert()
    {
        var a = AlertSamples.CloudTrailUpdated;
        var f = Root(a);
        Assert.Equal("moat/" + a.Id, f.GetProperty("Id").GetString());
        Assert.Equal("arn:aws:securityhub:us-east-1:111122223333:product/111122223333/default", f.GetProperty("ProductArn").GetString());
        Assert.Equal(a.RuleId, f.GetProperty("GeneratorId").GetString());
        Assert.Equal("111122223333", f.GetProperty("AwsAccountId").GetString());
        Assert.Equal(["TTPs/Defense Evasion/" + a.RuleId, "Software and Configuration Checks/Industry and Regulatory Standards/CIS AWS Foundations Benchmark"],
            f.GetProperty("Types").EnumerateArray().Select(t => t.GetString()));
        Assert.Equal(f.GetProperty("Types").GetRawText(), f.GetProperty("FindingProviderFields").GetProperty("Types").GetRawText());
        Assert.Equal("2026-11-20T09:14:41.000Z", f.GetProperty("CreatedAt").GetString());
        Assert.Equal("2026-11-20T09:19:02.000Z", f.GetProperty("UpdatedAt").GetString());
        Assert.Equal("2026-11-20T09:14:41.000Z", f.GetProperty("FirstObservedAt").GetString());
        Assert.Equal("2026-11-20T09:19:02.000Z", f.GetProperty("LastObservedAt").GetString());
        var r = Assert.Single(f.GetProperty("Resources").EnumerateArray());
        Assert.Equal(("AwsEc2SecurityGroup", "sg-0a1b2c3d4e5f60718", "aws", "us-east-1"),
            (r.GetProperty("Type").GetString(), r.GetProperty("Id").GetString(), r.GetProperty("Partition").GetString(), r.GetProperty("Region").GetString()));
        Assert.Equal("tcp ports 5432-5432 from 0.0.0.0/0", r.GetProperty("Details").GetProperty("Other").GetProperty("rule").GetString());
        Assert.Equal(("NEW", "ACTIVE"), (f.GetProperty("Workflow").GetProperty("Status").GetString(), f.GetProperty("RecordState").GetString()));
        Assert.False(f.TryGetProperty("Note", out _));
        Assert.StartsWith("https://", f.GetProperty("Remediation").GetProperty("Recommendation").GetProperty("Url").GetString());
    }

    [Fact]
    public void A_closed_alert_is_archived_and_resolved_with_its_reason_as_note_and_a_later_update_time()
    {
        var f = Root(AlertSamples.Closed);
        Assert.Equal("RESOLVED", f.GetProperty("Workflow").GetProperty("Status").GetString());
        Assert.Equal("ARCHIVED", f.GetProperty("RecordState").GetString());
        Assert.Equal(AlertSamples.ClosedReason, f.GetProperty("Note").GetProperty("Text").GetString());
        // Security Hub ignores an update whose UpdatedAt is not later: the close takes the export time.
        Assert.Equal("2026-12-01T12:00:00.000Z", f.GetProperty("UpdatedAt").GetString());
        Assert.Equal("2026-12-01T12:00:00.000Z", f.GetProperty("Note").GetProperty("UpdatedAt").GetString());
        Assert.Equal(AlertFacts.Iso(AlertSamples.Closed.FirstSeen), f.GetProperty("CreatedAt").GetString());
        Assert.Equal("AwsRdsDbSecurityGroup", f.GetProperty("Resources")[0].GetProperty("Type").GetString());
        Assert.Equal(["TTPs/Persistence/" + AlertSamples.RdsIngressRule, "TTPs/Defense Evasion/" + AlertSamples.RdsIngressRule],
            f.GetProperty("Types").EnumerateArray().Select(t => t.GetString()));
    }

    [Fact]
    public void A_login_alert_takes_the_configured_account_and_is_skipped_without_one()
    {
        var f = Root(AlertSamples.Login);
        Assert.Equal(ImportAccount, f.GetProperty("AwsAccountId").GetString());
        Assert.Equal($"arn:aws:securityhub:us-east-1:{ImportAccount}:product/{ImportAccount}/default", f.GetProperty("ProductArn").GetString());
        Assert.Equal(["TTPs/Credential Access/CredentialAccess:RDS-AnomalousBehavior.SuccessfulLogin", "Unusual Behaviors/Database/CredentialAccess:RDS-AnomalousBehavior.SuccessfulLogin"],
            f.GetProperty("Types").EnumerateArray().Select(t => t.GetString()));
        Assert.Equal("2026-11-20T08:01:10.000Z", f.GetProperty("FirstObservedAt").GetString());
        var r = f.GetProperty("Resources")[0];
        Assert.Equal(("AwsRdsDbInstance", "prod-db-1"), (r.GetProperty("Type").GetString(), r.GetProperty("Id").GetString()));

        using var ms = new MemoryStream();
        using var w = new AsffAlertWriter(ms, new AlertExportOptions());
        Assert.False(w.Write(AlertSamples.Login));
        Assert.True(w.Write(AlertSamples.CloudTrailNew));
        Assert.Equal(AlertSamples.Login.Id, Assert.Single(w.Skipped).AlertId);
        Assert.Single(Encoding.UTF8.GetString(ms.ToArray()).Split('\n', StringSplitOptions.RemoveEmptyEntries));
    }

    [Fact]
    public void The_import_region_names_the_product()
    {
        var f = Root(AlertSamples.CloudTrailNew, Options with { Region = "eu-west-1" });
        Assert.Equal("arn:aws:securityhub:eu-west-1:111122223333:product/111122223333/default", f.GetProperty("ProductArn").GetString());
        // The resource stays where it is.
        Assert.Equal("us-east-1", f.GetProperty("Resources")[0].GetProperty("Region").GetString());
    }

    [Theory]
    [InlineData("AWS::EC2::SecurityGroup", "AwsEc2SecurityGroup")]
    [InlineData("AWS::RDS::DBInstance", "AwsRdsDbInstance")]
    [InlineData("AWS::RDS::DBCluster", "AwsRdsDbCluster")]
    [InlineData("AWS::RDS::DBClusterSnapshot", "AwsRdsDbClusterSnapshot")]
    [InlineData("AWS::IAM::User", "AwsIamUser")]
    [InlineData("AWS::KMS::Key", "AwsKmsKey")]
    [InlineData("AWS::EC2::VPC", "AwsEc2Vpc")]
    [InlineData("AWS::S3::Bucket", "AwsS3Bucket")]
    [InlineData("AWS::CloudTrail::Trail", "AwsCloudTrailTrail")]
    [InlineData("AWS::OpenSearchService::Domain", "AwsOpenSearchServiceDomain")]
    [InlineData("AWS::GuardDuty::Detector", "Other")]
    [InlineData("AWS::EC2::SerialConsoleAccess", "Other")]
    [InlineData(null, "Other")]
    public void Names_resource_types_as_asff_does(string? cloudFormation, string asff)
    {
        Assert.Equal(asff, AsffAlertWriter.ResourceType(cloudFormation));
    }

    [Fact]
    public void Writes_batches_of_at_most_one_hundred_findings()
    {
        var template = AlertSamples.CloudTrailNew;
        var alerts = Enumerable.Range(0, 250).Select(i => template with { Id = $"{i:x16}" }).Append(AlertSamples.Login).ToList();
        using var ms = new MemoryStream();
        int written;
        using (var w = new AsffAlertWriter(ms, new AlertExportOptions { Clock = new FixedClock(ExportTime) }))
        {
            written = w.WriteBatch(alerts);
            // Without an account the login alert cannot be imported: it is reported, not sent.
            Assert.Equal(AlertSamples.Login.Id, Assert.Single(w.Skipped).AlertId);
        }
        Assert.Equal(250, written);
        var lines = Encoding.UTF8.GetString(ms.ToArray()).Split('\n', StringSplitOptions.RemoveEmptyEntries);
        var batches = lines.Select(l => JsonDocument.Parse(l).RootElement).ToList();
        Assert.All(batches, b => Assert.Equal(["Findings"], b.EnumerateObject().Select(p => p.Name)));
        Assert.Equal([100, 100, 50], batches.Select(b => b.GetProperty("Findings").GetArrayLength()));
        Assert.Equal(alerts.Take(250).Select(a => "moat/" + a.Id), batches.SelectMany(b => b.GetProperty("Findings").EnumerateArray()).Select(f => f.GetProperty("Id").GetString()));
        Assert.All(lines, l => Assert.True(Encoding.UTF8.GetByteCount(l) < AsffAlertWriter.MaxBatchBytes));
    }

    [Fact]
    public void Sample_alerts_match_the_golden_asff()
    {
        var lines = AlertSamples.Lines(s => new AsffAlertWriter(s, Options), [.. AlertSamples.All]);
        Golden.AssertMatches("Emit/golden/alerts.asff.jsonl", string.Join("\n", lines) + "\n");
    }
}
