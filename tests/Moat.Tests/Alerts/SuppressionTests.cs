using System.Text.Json;
using Moat.Tests.Support;

namespace Moat.Tests.Alerts;

/// <summary>Suppressions end to end: criteria, reasons, expiry, validation with positions, never silent.</summary>
public sealed class SuppressionTests
{
    private static string[] RuleIds(string stdout) =>
        stdout.Split('\n', StringSplitOptions.RemoveEmptyEntries).Select(l => JsonDocument.Parse(l).RootElement.GetProperty("ruleId").GetString()!).ToArray();

    [Fact]
    public void Suppressed_findings_are_left_out_counted_and_listed_on_request()
    {
        using var tmp = new TempDir();
        var file = tmp.File("sup.yaml", """
            suppressions:
              - name: bastion
                rules: [AWS.EC2.SecurityGroupAdmin*]
                resource: sg-0bastion000000001
                reason: public bastion by design
                expires: 2099-01-01
              - name: cache-test
                condition: { requestParameters.ModifySecurityGroupRulesRequest.GroupId: sg-0cache00000000001 }
                reason: cache team test
                expires: 2099-01-01
              - name: carol
                principal: "arn:aws:iam::*:user/carol"
                account: "111122223333"
                region: us-east-1
                source_cidr: 198.51.100.0/24
                reason: carol's migration
                expires: 2099-01-01
            """);
        var all = RuleIds(MoatProcess.Run("scan", "samples/cloudtrail", "--format", "jsonl", "-q").Stdout);
        var run = MoatProcess.Run("scan", "samples/cloudtrail", "--format", "jsonl", "--suppressions", file, "--show-suppressed");
        Assert.Equal(0, run.ExitCode);
        Assert.Equal(all.Length - 3, RuleIds(run.Stdout).Length);
        Assert.Contains("3 finding(s) suppressed: 'bastion' 1, 'cache-test' 1, 'carol' 1", run.Stderr);
        Assert.Contains("[~] suppressed by 'bastion' (public bastion by design): AWS.EC2.SecurityGroupAdminPortOpenToWorld", run.Stderr);
    }

    [Fact]
    public void An_expired_suppression_stops_applying_with_a_warning()
    {
        using var tmp = new TempDir();
        var file = tmp.File("sup.yaml", "suppressions:\n  - rules: [\"AWS.RDS.*\"]\n    reason: migration\n    expires: 2020-01-01\n");
        var run = MoatProcess.Run("scan", "samples/cloudtrail", "--format", "jsonl", "--suppressions", file);
        Assert.Equal(0, run.ExitCode);
        Assert.Contains("sup.yaml:2:5: warning MOAT034", run.Stderr);
        Assert.Contains("2020-01-01", run.Stderr);
        Assert.Contains("AWS.RDS.SecurityGroupIngressAuthorized", RuleIds(run.Stdout));
    }

    [Fact]
    public void A_bad_suppressions_file_is_reported_with_positions_and_exit_2()
    {
        using var tmp = new TempDir();
        var file = tmp.File("sup.yaml", "suppressions:\n  - source_cidr: 10.0.0.300/8\n    expires: 2099-01-01\n  - reason: ok\n    expires: soon\n    colour: red\n");
        var run = MoatProcess.Run("scan", "samples/cloudtrail", "--format", "jsonl", "--suppressions", file, "-q");
        Assert.Equal(2, run.ExitCode);
        Assert.Contains("sup.yaml:2:5: error MOAT002", run.Stderr);
        Assert.Contains("sup.yaml:2:18: error MOAT008", run.Stderr);
        Assert.Contains("sup.yaml:5:14: error MOAT019", run.Stderr);
        Assert.Contains("sup.yaml:6:5: error MOAT005", run.Stderr);
        Assert.NotEmpty(RuleIds(run.Stdout)); // the scan still ran
    }
}
