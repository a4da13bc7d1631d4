using System.IO.Compression;
using System.Text;
using System.Text.Json;
using Moat.Tests.Support;

namespace Moat.Tests.Cli;

/// <summary>`moat scan` end to end: the real binary on real files.</summary>
public sealed class ScanCommandTests
{
    private static List<JsonElement> Findings(string stdout) =>
        stdout.Split('\n', StringSplitOptions.RemoveEmptyEntries).Select(l => JsonDocument.Parse(l).RootElement.Clone()).ToList();

    [Fact]
    public void Samples_fire_every_builtin_rule_and_match_the_golden_jsonl()
    {
        var run = MoatProcess.Run("scan", "samples/cloudtrail", "--format", "jsonl", "--quiet");
        Assert.Equal(0, run.ExitCode);
        Assert.Equal("", run.Stderr);
        var ids = Findings(run.Stdout).Select(f => f.GetProperty("ruleId").GetString()).ToHashSet();
        foreach (var rule in Moat.Rules.RuleLoader.Load(true, []).Rules)
            Assert.Contains(rule.Id, ids); // the README promises each built-in rule fires on the samples
        Golden.AssertMatches("Cli/golden/samples.jsonl", run.Stdout);
    }

    [Fact]
    public void Samples_table_is_grouped_by_severity_and_matches_the_golden_text()
    {
        var run = MoatProcess.Run("scan", "samples/cloudtrail", "--quiet");
        Assert.Equal(0, run.ExitCode);
        Golden.AssertMatches("Cli/golden/samples.table.txt", run.Stdout);
        int critical = run.Stdout.IndexOf("== CRITICAL", StringComparison.Ordinal);
        int high = run.Stdout.IndexOf("== HIGH", StringComparison.Ordinal);
        int medium = run.Stdout.IndexOf("== MEDIUM", StringComparison.Ordinal);
        Assert.True(critical >= 0 && critical < high && high < medium);
        Assert.EndsWith(" events in 4 file(s).\n", run.Stdout);
    }

    [Fact]
    public void Every_json_finding_carries_the_documented_fields()
    {
        var run = MoatProcess.Run("scan", "samples/cloudtrail", "--format", "jsonl", "--quiet");
        foreach (var f in Findings(run.Stdout))
        {
            foreach (var field in new[] { "ruleId", "title", "severity", "eventId", "eventTime", "eventName", "accountId", "region", "principal", "sourceIp", "userAgent", "resource", "mitre", "runbook", "remediation", "dedupKey", "event" })
                Assert.True(f.TryGetProperty(field, out _), $"finding lacks {field}");
            Assert.Equal(f.GetProperty("eventId").GetString(), f.GetProperty("event").GetProperty("eventID").GetString());
            Assert.NotEqual("", f.GetProperty("remediation").GetString());
            Assert.NotEqual(JsonValueKind.Undefined, f.GetProperty("resource").GetProperty("id").ValueKind);
        }
    }

    [Fact]
    public void Database_port_finding_names_group_rule_and_exact_revert_command()
    {
        var run = MoatProcess.Run("scan", "samples/cloudtrail", "--format", "jsonl", "--quiet");
        var f = Findings(run.Stdout).First(x => x.GetProperty("ruleId").GetString() == "AWS.EC2.SecurityGroupDatabasePortOpenToWorld"
                                              && x.GetProperty("eventName").GetString() == "AuthorizeSecurityGroupIngress");
        Assert.Equal("sg-0a1b2c3d4e5f60718", f.GetProperty("resource").GetProperty("id").GetString());
        Assert.Equal("tcp ports 5432-5432 from 0.0.0.0/0", f.GetProperty("resource").GetProperty("rule").GetString());
        Assert.Equal("aws ec2 revoke-security-group-ingress --region us-east-1 --group-id sg-0a1b2c3d4e5f60718 --ip-permissions 'IpProtocol=tcp,FromPort=5432,ToPort=5432,IpRanges=[{CidrIp=0.0.0.0/0}]'",
            f.GetProperty("remediation").GetString());
        Assert.Equal("high", f.GetProperty("severity").GetString());
        Assert.Equal("T1562.007", f.GetProperty("mitre")[0].GetProperty("technique").GetString());
    }

    [Fact]
    public void Rds_ingress_from_the_world_is_critical_with_the_documented_dedup_key()
    {
        var run = MoatProcess.Run("scan", "samples/cloudtrail", "--format", "jsonl", "--quiet");
        var f = Findings(run.Stdout).Single(x => x.GetProperty("ruleId").GetString() == "AWS.RDS.SecurityGroupIngressAuthorized" && x.GetProperty("severity").GetString() == "critical");
        Assert.Equal("111122223333:us-east-1:legacy-orders", f.GetProperty("dedupKey").GetString());
        Assert.Equal("aws rds revoke-db-security-group-ingress --region us-east-1 --db-security-group-name legacy-orders --cidrip 0.0.0.0/0", f.GetProperty("remediation").GetString());
    }

    [Fact]
    public void Fail_on_high_exits_1_and_fail_on_critical_too_but_not_when_nothing_reaches_it()
    {
        Assert.Equal(1, MoatProcess.Run("scan", "samples/cloudtrail", "--fail-on", "high", "-q").ExitCode);
        Assert.Equal(1, MoatProcess.Run("scan", "samples/cloudtrail", "--fail-on", "critical", "-q").ExitCode);
        Assert.Equal(0, MoatProcess.Run("scan", "samples/cloudtrail/eventbridge", "--fail-on", "high", "-q").ExitCode);
    }

    [Fact]
    public void Real_trails_give_exactly_the_two_world_open_ssh_findings()
    {
        var run = MoatProcess.Run("scan", "tests/Moat.Tests/data/real/invictus", "tests/Moat.Tests/data/real/stratus", "--format", "jsonl", "--quiet");
        Assert.Equal(0, run.ExitCode);
        string[] exposureRules = ["AWS.EC2.SecurityGroupDatabasePortOpenToWorld", "AWS.EC2.SecurityGroupAdminPortOpenToWorld", "AWS.RDS.SecurityGroupIngressAuthorized"];
        var found = Findings(run.Stdout).Where(f => exposureRules.Contains(f.GetProperty("ruleId").GetString()))
            .Select(f => (f.GetProperty("ruleId").GetString(), f.GetProperty("eventId").GetString())).ToList();
        Assert.Equal(
            [
                ("AWS.EC2.SecurityGroupAdminPortOpenToWorld", "74bd84b4-6729-4895-b2a4-e2beb7c6b377"), // Invictus, legacy flat form, tcp/22 0.0.0.0/0
                ("AWS.EC2.SecurityGroupAdminPortOpenToWorld", "9fd68588-ecbf-4528-a345-199fa6bb0821"), // Stratus, anonymised 208.236.235.254/0
            ], found);
    }

    [Fact]
    public void Standard_input_takes_gzip_and_plain_content()
    {
        var json = File.ReadAllBytes(Repo.Path("tests/Moat.Tests/data/real/stratus/aws.exfiltration.ec2-security-group-open-port-22-ingress.json"));
        using var ms = new MemoryStream();
        using (var gz = new GZipStream(ms, CompressionLevel.Fastest, leaveOpen: true)) gz.Write(json);
        foreach (var input in new[] { json, ms.ToArray() })
        {
            var run = MoatProcess.Run(["scan", "-", "--format", "jsonl", "--quiet"], stdin: input);
            Assert.Equal(0, run.ExitCode);
            var f = Assert.Single(Findings(run.Stdout));
            Assert.Equal("<stdin>", f.GetProperty("location").GetProperty("file").GetString());
        }
    }

    [Fact]
    public void Truncated_gzip_reports_the_break_scans_what_came_before_and_exits_3()
    {
        using var tmp = new TempDir();
        var records = Enumerable.Range(0, 400).Select(i => i == 10
            ? """{"eventSource":"rds.amazonaws.com","eventName":"AuthorizeDBSecurityGroupIngress","eventID":"e10","requestParameters":{"dBSecurityGroupName":"db","cIDRIP":"0.0.0.0/0"}}"""
            : $$"""{"eventSource":"sts.amazonaws.com","eventName":"GetCallerIdentity","eventID":"e{{i}}","padding":"{{new string('x', 200)}}"}""");
        var text = "{\"Records\":[" + string.Join(",", records) + "]}";
        using var ms = new MemoryStream();
        using (var gz = new GZipStream(ms, CompressionLevel.NoCompression, leaveOpen: true)) gz.Write(Encoding.UTF8.GetBytes(text));
        var bytes = ms.ToArray();
        var cut = tmp.File("cut.json.gz", bytes[..(bytes.Length / 2)]);
        var good = tmp.File("good.json", """{"Records":[{"eventSource":"rds.amazonaws.com","eventName":"AuthorizeDBSecurityGroupIngress","eventID":"g1","requestParameters":{"dBSecurityGroupName":"db2","cIDRIP":"10.0.0.0/8"}}]}""");

        var run = MoatProcess.Run("scan", cut, good, "--format", "jsonl");
        Assert.Equal(3, run.ExitCode);
        Assert.Equal(["e10", "g1"], Findings(run.Stdout).Select(f => f.GetProperty("eventId").GetString()!).ToArray());
        Assert.Contains("cut.json.gz", run.Stderr);
        Assert.Contains("truncated", run.Stderr);
        Assert.DoesNotContain("   at ", run.Stderr); // no stack trace
    }

    [Fact]
    public void Invalid_records_are_reported_with_position_and_the_rest_still_scanned()
    {
        using var tmp = new TempDir();
        var f = tmp.File("mixed.jsonl", string.Join("\n",
            """{"eventSource":"rds.amazonaws.com","eventName":"AuthorizeDBSecurityGroupIngress","eventID":"a","requestParameters":{"dBSecurityGroupName":"x","cIDRIP":"0.0.0.0/0"}}""",
            """{"eventSource":"rds.amazonaws.com","eventName":"AuthorizeDBSecurityGroupIngress","eventID":"broken",""",
            """[1,2,3]""",
            """{"eventSource":"rds.amazonaws.com","eventName":"AuthorizeDBSecurityGroupIngress","eventID":"b","requestParameters":{"dBSecurityGroupName":"y","cIDRIP":"0.0.0.0/0"}}""") + "\n");
        var run = MoatProcess.Run("scan", f, "--format", "jsonl");
        Assert.Equal(3, run.ExitCode);
        Assert.Equal(["a", "b"], Findings(run.Stdout).Select(x => x.GetProperty("eventId").GetString()!).ToArray());
        Assert.Contains("mixed.jsonl:2: record 2", run.Stderr);
        Assert.Contains("mixed.jsonl:3: record 3", run.Stderr);
        Assert.DoesNotContain("   at ", run.Stderr);
    }

    [Fact]
    public void A_missing_path_is_reported_and_the_other_inputs_still_scanned()
    {
        var run = MoatProcess.Run("scan", "no/such/place", "samples/cloudtrail/eventbridge", "--format", "jsonl");
        Assert.Equal(3, run.ExitCode);
        Assert.Contains("no/such/place: no such file or folder", run.Stderr);
        Assert.Single(Findings(run.Stdout));
    }

    [Fact]
    public void Output_is_identical_with_one_thread_and_with_many()
    {
        var one = MoatProcess.Run("scan", "samples/cloudtrail", "tests/Moat.Tests/data/real", "--format", "jsonl", "--threads", "1", "-q");
        var many = MoatProcess.Run("scan", "samples/cloudtrail", "tests/Moat.Tests/data/real", "--format", "jsonl", "--threads", "4", "-q");
        Assert.Equal(one.Stdout, many.Stdout);
        Assert.NotEqual("", one.Stdout);
    }

    [Fact]
    public void Unknown_option_is_a_usage_error_pointing_at_the_token()
    {
        var run = MoatProcess.Run("scan", "samples", "--formt", "jsonl");
        Assert.Equal(2, run.ExitCode);
        Assert.Contains("unknown option '--formt'", run.Stderr);
        Assert.Contains("^^^^^^^", run.Stderr);
        Assert.Equal("", run.Stdout);
    }

    [Fact]
    public void Rules_from_a_folder_add_to_the_builtin_ones_and_only_rules_replaces_them()
    {
        using var tmp = new TempDir();
        tmp.File("rules/caller.yaml", """
            id: Custom.CallerIdentity
            title: Caller identity checked
            severity: info
            condition:
              eventName: GetCallerIdentity
            tests:
              - { name: fires, match: true, event: { eventName: GetCallerIdentity } }
            """);
        var added = MoatProcess.Run("scan", "samples/cloudtrail/eventbridge", "--rules", Path.Combine(tmp.Path, "rules"), "--format", "jsonl", "-q");
        var ids = Findings(added.Stdout).Select(f => f.GetProperty("ruleId").GetString()!).ToArray();
        Assert.Contains("AWS.RDS.SecurityGroupIngressAuthorized", ids);
        Assert.Contains("Custom.CallerIdentity", ids);
        var only = MoatProcess.Run("scan", "samples/cloudtrail/eventbridge", "--only-rules", Path.Combine(tmp.Path, "rules"), "--format", "jsonl", "-q");
        Assert.Equal(["Custom.CallerIdentity"], Findings(only.Stdout).Select(f => f.GetProperty("ruleId").GetString()!).ToArray());
    }

    [Fact]
    public void A_bad_rule_is_reported_with_its_position_the_good_rules_still_run_and_exit_is_2()
    {
        using var tmp = new TempDir();
        tmp.File("rules/bad.yaml", "id: Bad.Rule\ntitle: x\nseverity: high\ncondition:\n  eventName: { equalz: X }\n");
        var run = MoatProcess.Run("scan", "samples/cloudtrail", "--rules", Path.Combine(tmp.Path, "rules"), "--format", "jsonl", "-q");
        Assert.Equal(2, run.ExitCode);
        Assert.Contains("bad.yaml:5:16: error MOAT006", run.Stderr);
        var builtinOnly = MoatProcess.Run("scan", "samples/cloudtrail", "--format", "jsonl", "-q");
        Assert.Equal(Findings(builtinOnly.Stdout).Count, Findings(run.Stdout).Count);
    }

    [Fact]
    public void CloudWatch_Logs_exports_and_subscription_payloads_are_read()
    {
        using var tmp = new TempDir();
        const string ev = """{"eventSource":"rds.amazonaws.com","eventName":"AuthorizeDBSecurityGroupIngress","eventID":"EVID","requestParameters":{"dBSecurityGroupName":"x","cIDRIP":"0.0.0.0/0"}}""";
        var export = tmp.File("export/000000.log", $"2026-11-21T14:03:22.000Z {ev.Replace("EVID", "x1")}\n2026-11-21T14:03:23.123Z {ev.Replace("EVID", "x2")}\n");
        var payload = JsonSerializer.Serialize(new
        {
            messageType = "DATA_MESSAGE",
            logGroup = "aws-cloudtrail-logs-111122223333",
            logEvents = new[] { new { id = "1", timestamp = 1, message = ev.Replace("EVID", "s1") }, new { id = "2", timestamp = 2, message = "CloudTrail validation message" } },
        });
        var sub = tmp.File("sub.json", payload);
        var run = MoatProcess.Run("scan", export, sub, "--format", "jsonl");
        Assert.Equal(0, run.ExitCode);
        Assert.Equal(["x1", "x2", "s1"], Findings(run.Stdout).Select(f => f.GetProperty("eventId").GetString()!).ToArray());
        Assert.Contains("1 record(s) are not CloudTrail events", run.Stderr);
    }

    [Fact]
    public void Bare_arrays_and_pretty_printed_eventbridge_envelopes_are_read()
    {
        using var tmp = new TempDir();
        var array = tmp.File("a.json", """
            [
              {"eventSource": "rds.amazonaws.com", "eventName": "AuthorizeDBSecurityGroupIngress", "eventID": "arr1",
               "requestParameters": {"dBSecurityGroupName": "x", "cIDRIP": "10.0.0.0/8"}}
            ]
            """);
        var envelope = tmp.File("eb.json", """
            {
              "version": "0",
              "detail-type": "AWS API Call via CloudTrail",
              "source": "aws.rds",
              "detail": {"eventSource": "rds.amazonaws.com", "eventName": "AuthorizeDBSecurityGroupIngress", "eventID": "eb1",
                         "requestParameters": {"dBSecurityGroupName": "y", "cIDRIP": "::/0"}}
            }
            """);
        var run = MoatProcess.Run("scan", array, envelope, "--format", "jsonl", "-q");
        Assert.Equal(0, run.ExitCode);
        var found = Findings(run.Stdout);
        Assert.Equal(["arr1", "eb1"], found.Select(f => f.GetProperty("eventId").GetString()!).ToArray());
        Assert.Equal("critical", found[1].GetProperty("severity").GetString());
    }
}
