using Moat.Rules;
using static Moat.Tests.Sigma.SigmaFixture;

namespace Moat.Tests.Sigma;

/// <summary>Findings from Sigma rules: author, false positives, kind, severity from level, MITRE from attack.* tags.</summary>
public sealed class SigmaFindingTests
{
    private static string RuleWith(string metadata) =>
        "title: Stealthy trail stop\nid: 7f0b3f39-0000-4000-8000-000000000001\nlogsource:\n  product: aws\n  service: cloudtrail\n" +
        "detection:\n  sel:\n    eventName: StopLogging\n  condition: sel\n" + metadata;

    private const string Event = """{"eventSource": "cloudtrail.amazonaws.com", "eventName": "StopLogging", "eventTime": "2024-03-05T22:47:13Z", "awsRegion": "eu-west-1", "recipientAccountId": "111122223333", "userIdentity": {"arn": "arn:aws:iam::111122223333:user/mallory"}}""";

    [Fact]
    public void A_finding_carries_author_false_positives_kind_title_and_references()
    {
        var rule = LoadRule(RuleWith("""
            description: Someone stopped a trail
            author: Jane Doe, John Roe
            references:
              - https://example.com/a
            falsepositives:
              - Planned maintenance
              - Trail migrations
            level: high
            """));
        var f = Assert.Single(FindingsFor(rule, Event));
        Assert.Equal("7f0b3f39-0000-4000-8000-000000000001", f.RuleId);
        Assert.Equal("Stealthy trail stop", f.Title);
        Assert.Equal("Someone stopped a trail", f.Description);
        Assert.Equal("Jane Doe, John Roe", f.Author);
        Assert.Equal(["Planned maintenance", "Trail migrations"], f.FalsePositives);
        Assert.Equal(["https://example.com/a"], f.References);
        Assert.Equal("sigma", f.RuleKind);
        Assert.Equal("arn:aws:iam::111122223333:user/mallory", f.Principal);
        Assert.Equal("eu-west-1", f.Region);
        Assert.Contains("mallory", f.Runbook);
        Assert.Contains("Planned maintenance", f.Runbook);
    }

    [Theory]
    [InlineData("informational", Severity.Info)]
    [InlineData("low", Severity.Low)]
    [InlineData("medium", Severity.Medium)]
    [InlineData("high", Severity.High)]
    [InlineData("critical", Severity.Critical)]
    [InlineData("HIGH", Severity.High)]
    public void Severity_comes_from_level(string level, Severity expected)
    {
        var rule = LoadRule(RuleWith($"level: {level}\n"));
        Assert.Equal(expected, Assert.Single(FindingsFor(rule, Event)).Severity);
    }

    [Fact]
    public void A_rule_without_level_is_medium()
    {
        Assert.Equal(Severity.Medium, Assert.Single(FindingsFor(LoadRule(RuleWith("")), Event)).Severity);
    }

    [Fact]
    public void Attack_tags_become_mitre_references()
    {
        var rule = LoadRule(RuleWith("""
            tags:
              - attack.initial-access
              - attack.t1078.004
              - attack.stealth
              - attack.T1562
              - cve.2024-0001
              - detection.threat-hunting
            """));
        var f = Assert.Single(FindingsFor(rule, Event));
        Assert.Equal(
            [new MitreRef("TA0001", "T1078.004"), new MitreRef("TA0001", "T1562"), new MitreRef("TA0005", null)],
            f.Mitre);
        // Tags are kept as written.
        Assert.Contains("cve.2024-0001", f.Tags);
        Assert.Contains("attack.t1078.004", f.Tags);
    }

    [Theory]
    [InlineData("attack.initial-access", "TA0001")]
    [InlineData("attack.stealth", "TA0005")]
    [InlineData("attack.defense-evasion", "TA0005")]
    [InlineData("attack.defense-impairment", "TA0005")]
    [InlineData("attack.persistence", "TA0003")]
    [InlineData("attack.privilege-escalation", "TA0004")]
    [InlineData("attack.credential-access", "TA0006")]
    [InlineData("attack.discovery", "TA0007")]
    [InlineData("attack.exfiltration", "TA0010")]
    [InlineData("attack.impact", "TA0040")]
    [InlineData("attack.reconnaissance", "TA0043")]
    [InlineData("attack.resource-development", "TA0042")]
    public void Tactic_tags_map_to_tactic_ids(string tag, string tactic)
    {
        var rule = LoadRule(RuleWith($"tags:\n  - {tag}\n"));
        Assert.Equal([new MitreRef(tactic, null)], rule.Document.Mitre);
    }

    [Fact]
    public void A_technique_without_a_tactic_tag_has_no_tactic()
    {
        var rule = LoadRule(RuleWith("tags:\n  - attack.t1078.004\n  - attack.g0016\n  - attack.s0002\n"));
        Assert.Equal([new MitreRef(null, "T1078.004")], rule.Document.Mitre);
    }
}
