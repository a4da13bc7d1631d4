using Moat.Tests.Support;

namespace Moat.Tests.Cli;

/// <summary>`moat test`, `moat rules lint|list|show` end to end.</summary>
public sealed class RuleCommandTests
{
    [Fact]
    public void Test_runs_the_builtin_rules_embedded_tests()
    {
        var run = MoatProcess.Run("test");
        Assert.Equal(0, run.ExitCode);
        Assert.Matches(@"^\d+ rules, \d+ tests: \d+ passed, 0 failed\n$", run.Stdout);
    }

    [Fact]
    public void Test_prints_each_failure_with_rule_test_expected_and_actual_and_exits_1()
    {
        using var tmp = new TempDir();
        tmp.File("r.yaml", """
            id: T.Wrong
            title: t
            severity: low
            condition:
              eventName: A
            tests:
              - name: says it matches but does not
                match: true
                event: { eventName: B }
              - name: right
                match: false
                event: { eventName: B }
            """);
        var run = MoatProcess.Run("test", tmp.Path);
        Assert.Equal(1, run.ExitCode);
        Assert.Contains("FAIL T.Wrong :: says it matches but does not", run.Stdout);
        Assert.Contains("expected match, got no match", run.Stdout);
        Assert.Contains("1 passed, 1 failed", run.Stdout);
    }

    [Fact]
    public void Lint_prints_file_line_column_code_for_every_bad_rule_and_exits_2()
    {
        using var tmp = new TempDir();
        tmp.File("a.yaml", "id: A\ntitle: a\nseverity: severe\ncondition:\n  eventName: X\n");
        tmp.File("b.yaml", "id: B\ntitle: b\nseverity: low\ncondition:\n  requestParameters.cidr: { cidr: 10.0.0.300/8 }\n  eventName: X\n");
        tmp.File("c.yaml", "id: C\ntitle: c\nseverity: low\ncondition:\n  eventName: X\ntests: []\n");
        var run = MoatProcess.Run("rules", "lint", tmp.Path);
        Assert.Equal(2, run.ExitCode);
        Assert.Contains("a.yaml:3:11: error MOAT004", run.Stdout);
        Assert.Contains("b.yaml:5:35: error MOAT008", run.Stdout);
        Assert.DoesNotContain("c.yaml:1:1: error", run.Stdout); // only warnings for c.yaml
        Assert.Contains("1 rule(s) loaded, 2 error(s)", run.Stderr);
    }

    [Fact]
    public void Lint_of_the_builtin_rules_is_clean()
    {
        var run = MoatProcess.Run("rules", "lint");
        Assert.Equal(0, run.ExitCode);
        Assert.Equal("", run.Stdout);
    }

    [Fact]
    public void List_and_show_describe_the_rules()
    {
        var list = MoatProcess.Run("rules", "list");
        Assert.Equal(0, list.ExitCode);
        Assert.Contains("AWS.EC2.SecurityGroupDatabasePortOpenToWorld", list.Stdout);
        var show = MoatProcess.Run("rules", "show", "AWS.RDS.SecurityGroupIngressAuthorized");
        Assert.Equal(0, show.ExitCode);
        Assert.Contains("rds.amazonaws.com: AuthorizeDBSecurityGroupIngress", show.Stdout);
        Assert.Contains("critical when the CIDR is open to the whole internet", show.Stdout);
        Assert.Equal(2, MoatProcess.Run("rules", "show", "No.Such.Rule").ExitCode);
    }
}
