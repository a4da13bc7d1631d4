using Moat.Rules;
using Moat.Testing;

namespace Moat.Tests.Testing;

/// <summary>Every built-in rule loads cleanly and passes its embedded tests, one xunit case per rule.</summary>
public sealed class BuiltinRuleTests
{
    public static TheoryData<string> RuleIds()
    {
        var data = new TheoryData<string>();
        foreach (var r in RuleLoader.Load(true, []).Rules) data.Add(r.Id);
        return data;
    }

    [Fact]
    public void Builtin_rules_load_without_errors_or_warnings()
    {
        var load = RuleLoader.Load(true, []);
        Assert.Empty(load.Diagnostics);
        Assert.Contains(load.Rules, r => r.Id == "AWS.EC2.SecurityGroupDatabasePortOpenToWorld");
        Assert.Contains(load.Rules, r => r.Id == "AWS.EC2.SecurityGroupAdminPortOpenToWorld");
        Assert.Contains(load.Rules, r => r.Id == "AWS.RDS.SecurityGroupIngressAuthorized");
    }

    [Theory]
    [MemberData(nameof(RuleIds))]
    public void Embedded_tests_pass(string ruleId)
    {
        var rule = RuleLoader.Load(true, []).Rules.Single(r => r.Id == ruleId);
        var results = RuleTestRunner.Run(rule);
        Assert.NotEmpty(results);
        var failures = results.Where(r => !r.Passed).Select(r => $"{r.TestName}: expected {r.Expected}, got {r.Actual}").ToList();
        Assert.True(failures.Count == 0, string.Join("\n", failures));
    }

    [Theory]
    [MemberData(nameof(RuleIds))]
    public void Each_rule_has_at_least_three_matching_and_three_non_matching_tests(string ruleId)
    {
        var rule = RuleLoader.Load(true, []).Rules.Single(r => r.Id == ruleId);
        Assert.True(rule.Document.Tests.Count(t => t.Match) >= 3, $"{ruleId}: fewer than 3 matching tests");
        Assert.True(rule.Document.Tests.Count(t => !t.Match) >= 3, $"{ruleId}: fewer than 3 non-matching tests");
    }

    [Theory]
    [InlineData("AWS.EC2.SecurityGroupDatabasePortOpenToWorld")]
    [InlineData("AWS.EC2.SecurityGroupAdminPortOpenToWorld")]
    [InlineData("AWS.RDS.SecurityGroupIngressAuthorized")]
    public void Each_exposure_rule_has_at_least_eight_tests(string ruleId)
    {
        var rule = RuleLoader.Load(true, []).Rules.Single(r => r.Id == ruleId);
        Assert.True(rule.Document.Tests.Count >= 8, $"{ruleId} has {rule.Document.Tests.Count} tests");
    }

    [Theory]
    [MemberData(nameof(RuleIds))]
    public void Each_builtin_rule_states_its_outcome_severity_reason_mitre_runbook_and_changelog(string ruleId)
    {
        var d = RuleLoader.Load(true, []).Rules.Single(r => r.Id == ruleId).Document;
        Assert.NotNull(d.Outcome);
        Assert.False(string.IsNullOrWhiteSpace(d.SeverityReason), "severity_reason");
        Assert.NotEmpty(d.Mitre);
        Assert.NotNull(d.Runbook);
        Assert.NotEmpty(d.References);
        Assert.NotEmpty(d.Changelog);
        Assert.Contains(d.Tests, t => t.Match && t.Output.Count > 0);
    }
}
