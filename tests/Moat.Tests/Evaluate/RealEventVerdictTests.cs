using System.Text;
using System.Text.Json;
using Moat.Evaluate;
using Moat.Read;
using Moat.Rules;
using Moat.Tests.Support;

namespace Moat.Tests.Evaluate;

/// <summary>
/// The exposure rules against Panther's hand-made fixtures, with Panther's verdicts. Where Panther's rule means
/// something else (any security group change, any manual change), the expected Moat verdict is written here
/// with the reason, so a change in behaviour shows up as a failing case, not a silent drift.
/// </summary>
public sealed class RealEventVerdictTests
{
    // The three exposure rules only: other built-in rules have verdicts of their own on these events.
    private static readonly RuleIndex Index = new(RuleLoader.Load(true, []).Rules.Where(r =>
        r.Id is "AWS.EC2.SecurityGroupDatabasePortOpenToWorld" or "AWS.EC2.SecurityGroupAdminPortOpenToWorld" or "AWS.RDS.SecurityGroupIngressAuthorized").ToList());

    public static TheoryData<string, string, bool, string?> PantherCases()
    {
        // (Panther rule, test name) → what Moat's three exposure rules report.
        var moat = new Dictionary<(string, string), string?>
        {
            // Panther: any manual SG change. Moat: 443 from 0.0.0.0/16 is neither world-open nor a DB/admin port.
            [("AWS.EC2.ManualSecurityGroupChange", "AWS Console - Ingress SG Authorization")] = null,
            [("AWS.EC2.ManualSecurityGroupChange", "Terraform Security Group Authorize Egress")] = null,
            // tcp/22 from 0.0.0.0/0: the admin-port rule, high.
            [("AWS.EC2.ManualSecurityGroupChange", "Go Script Authorize Ingress")] = "AWS.EC2.SecurityGroupAdminPortOpenToWorld:high",
            [("AWS.EC2.ManualSecurityGroupChange", "AWS Console - Ingress SG Authorization Error")] = null,
            // Panther: any SG change (info). Moat: 22 from 127.0.0.1/32 is not the world.
            [("AWS.EC2.SecurityGroupModified", "Security Group Modified")] = null,
            [("AWS.EC2.SecurityGroupModified", "Error Mofidying Security Group")] = null,
            // The same rule as Panther's: the verdicts and severities agree.
            [("AWS.RDS.SecurityGroupIngressAuthorized", "Ingress Authorized from Specific CIDR")] = "AWS.RDS.SecurityGroupIngressAuthorized:medium",
            [("AWS.RDS.SecurityGroupIngressAuthorized", "Ingress Authorized from Public Internet - Critical")] = "AWS.RDS.SecurityGroupIngressAuthorized:critical",
            [("AWS.RDS.SecurityGroupIngressAuthorized", "Ingress Authorized from EC2 Security Group")] = "AWS.RDS.SecurityGroupIngressAuthorized:medium",
            [("AWS.RDS.SecurityGroupIngressAuthorized", "Authorization Failed")] = null,
            [("AWS.RDS.SecurityGroupIngressAuthorized", "Different RDS Event")] = null,
        };
        var data = new TheoryData<string, string, bool, string?>();
        var seen = new HashSet<(string, string)>();
        foreach (var line in File.ReadLines(Repo.Path("tests/Moat.Tests/data/real/panther/network-and-rds-tests.jsonl")))
        {
            using var doc = JsonDocument.Parse(line);
            var r = doc.RootElement;
            var key = (r.GetProperty("rule_id").GetString()!, r.GetProperty("test_name").GetString()!);
            if (moat.TryGetValue(key, out var expected))
            {
                data.Add(key.Item1, key.Item2, r.GetProperty("expected_result").GetBoolean(), expected);
                seen.Add(key);
            }
        }
        Assert.Equal(moat.Count, seen.Count);
        return data;
    }

    private static string? Evaluate(string json)
    {
        var eval = new RecordEvaluator(Index, "fixture");
        eval.OnRecord(Encoding.UTF8.GetBytes(json), new RecordPosition(1, 0, 1));
        Assert.Empty(eval.Errors);
        return eval.Findings.Count == 0 ? null : string.Join(",", eval.Findings.Select(f => $"{f.RuleId}:{f.Severity.Name()}"));
    }

    [Theory]
    [MemberData(nameof(PantherCases))]
    public void Panther_fixture_gets_the_expected_moat_verdict(string pantherRule, string testName, bool pantherVerdict, string? moatVerdict)
    {
        var line = File.ReadLines(Repo.Path("tests/Moat.Tests/data/real/panther/network-and-rds-tests.jsonl"))
            .First(l => l.Contains($"\"test_name\": \"{testName}\"") && l.Contains($"\"rule_id\": \"{pantherRule}\""));
        using var doc = JsonDocument.Parse(line);
        var actual = Evaluate(doc.RootElement.GetProperty("log").GetRawText());
        Assert.Equal(moatVerdict, actual);
        if (pantherRule == "AWS.RDS.SecurityGroupIngressAuthorized") Assert.Equal(pantherVerdict, actual is not null);
    }

    [Fact]
    public void Invictus_trail_security_group_calls_get_the_right_verdicts()
    {
        var verdicts = new Dictionary<string, string?>();
        foreach (var file in Directory.GetFiles(Repo.Path("tests/Moat.Tests/data/real/invictus"), "*.json"))
        {
            using var doc = JsonDocument.Parse(File.ReadAllBytes(file));
            foreach (var r in doc.RootElement.GetProperty("Records").EnumerateArray())
            {
                var name = r.GetProperty("eventName").GetString()!;
                if (!name.Contains("SecurityGroup", StringComparison.Ordinal) || name.StartsWith("Describe", StringComparison.Ordinal)) continue;
                verdicts[name + " " + r.GetProperty("eventID").GetString()] = Evaluate(r.GetRawText());
            }
        }
        // tcp/22 from 0.0.0.0/0 in the legacy flat form: admin port open to the world.
        Assert.Equal("AWS.EC2.SecurityGroupAdminPortOpenToWorld:high", verdicts.Single(v => v.Key.Contains("74bd84b4")).Value);
        // tcp/443 from 0.0.0.0/0 (items form): world-open but not a database or admin port.
        Assert.Null(verdicts.Single(v => v.Key.StartsWith("AuthorizeSecurityGroupIngress", StringComparison.Ordinal) && !v.Key.Contains("74bd84b4")).Value);
        // Egress -1 to 0.0.0.0/0 and ::/0, and the revoke of the 22 rule: not findings.
        Assert.Null(verdicts.Single(v => v.Key.StartsWith("AuthorizeSecurityGroupEgress", StringComparison.Ordinal)).Value);
        Assert.Null(verdicts.Single(v => v.Key.StartsWith("RevokeSecurityGroupIngress", StringComparison.Ordinal)).Value);
    }
}
