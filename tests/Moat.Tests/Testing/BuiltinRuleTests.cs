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
    public void Each_exposure_rule_has_at_least_eight_tests_both_ways(string ruleId)
    {
        var rule = RuleLoader.Load(true, []).Rules.Single(r => r.Id == ruleId);
        Assert.True(rule.Document.Tests.Count >= 8, $"{ruleId} has {rule.Document.Tests.Count} tests");
        Assert.Contains(rule.Document.Tests, t => t.Match);
        Assert.Contains(rule.Document.Tests, t => !t.Match);
    }
}
