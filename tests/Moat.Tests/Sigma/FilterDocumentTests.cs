using Moat.Rules;
using static Moat.Tests.Sigma.SigmaFixture;

namespace Moat.Tests.Sigma;

/// <summary>Sigma filter documents: their condition is ANDed (as written, like pySigma) into the rules they name.</summary>
public sealed class FilterDocumentTests
{
    private static string RuleDoc(string id, string name, string eventName) =>
        $"title: {id}\nid: {id}\nname: {name}\nlogsource:\n  product: aws\n  service: cloudtrail\ndetection:\n  sel:\n    eventName: {eventName}\n  condition: sel\n";

    private static string FilterDoc(string id, params string[] rules) =>
        $"title: Filter {id}\nid: {id}\nlogsource:\n  product: aws\n  service: cloudtrail\nfilter:\n  rules:\n" +
        string.Concat(rules.Select(r => $"    - {r}\n")) +
        "  automation:\n    userIdentity.arn|endswith: ':role/automation'\n  condition: not automation\n";

    private const string Human = """{"eventName": "StopLogging", "userIdentity": {"arn": "arn:aws:iam::1:user/alice"}}""";
    private const string Robot = """{"eventName": "StopLogging", "userIdentity": {"arn": "arn:aws:sts::1:assumed-role/x:role/automation"}}""";

    [Fact]
    public void A_filter_naming_a_rule_by_id_suppresses_its_matches()
    {
        var load = RuleLoader.LoadTexts([("rule.yml", RuleDoc("r-stop", "stop_logging", "StopLogging")), ("filter.yml", FilterDoc("f1", "r-stop"))]);
        Assert.Empty(load.Diagnostics);
        var rule = Assert.Single(load.Rules);
        Assert.True(rule.Matches(Human));
        Assert.False(rule.Matches(Robot));
    }

    [Fact]
    public void A_filter_naming_a_rule_by_name_suppresses_its_matches()
    {
        var load = RuleLoader.LoadTexts([("rule.yml", RuleDoc("r-stop", "stop_logging", "StopLogging")), ("filter.yml", FilterDoc("f1", "stop_logging"))]);
        Assert.Empty(load.Diagnostics);
        Assert.False(Assert.Single(load.Rules).Matches(Robot));
    }

    [Fact]
    public void A_filter_read_before_its_rule_still_applies()
    {
        var load = RuleLoader.LoadTexts([("a-filter.yml", FilterDoc("f1", "r-stop")), ("b-rule.yml", RuleDoc("r-stop", "stop_logging", "StopLogging"))]);
        Assert.Empty(load.Diagnostics);
        Assert.False(Assert.Single(load.Rules).Matches(Robot));
    }

    [Fact]
    public void One_filter_applies_to_every_rule_it_names_and_only_those()
    {
        var load = RuleLoader.LoadTexts([
            ("rules.yml", RuleDoc("r-stop", "stop_logging", "StopLogging") + "---\n" + RuleDoc("r-del", "delete_trail", "DeleteTrail") + "---\n" + RuleDoc("r-upd", "update_trail", "UpdateTrail")),
            ("filter.yml", FilterDoc("f1", "r-stop", "delete_trail")),
        ]);
        Assert.Empty(load.Diagnostics);
        bool RobotMatches(string id, string eventName) =>
            load.Rules.Single(r => r.Id == id).Matches(Robot.Replace("StopLogging", eventName));
        Assert.False(RobotMatches("r-stop", "StopLogging"));
        Assert.False(RobotMatches("r-del", "DeleteTrail"));
        Assert.True(RobotMatches("r-upd", "UpdateTrail"));
    }

    [Fact]
    public void Two_filters_on_one_rule_both_apply()
    {
        var second = "title: f2\nid: f2\nlogsource:\n  product: aws\nfilter:\n  rules: r-stop\n  lab:\n    recipientAccountId: '111122223333'\n  condition: not lab\n";
        var load = RuleLoader.LoadTexts([("rule.yml", RuleDoc("r-stop", "stop_logging", "StopLogging")), ("f1.yml", FilterDoc("f1", "r-stop")), ("f2.yml", second)]);
        Assert.Empty(load.Diagnostics);
        var rule = Assert.Single(load.Rules);
        Assert.False(rule.Matches(Robot));
        Assert.False(rule.Matches(Human.Replace("{\"eventName\"", "{\"recipientAccountId\": \"111122223333\", \"eventName\"")));
        Assert.True(rule.Matches(Human));
    }

    [Fact]
    public void The_filter_condition_is_anded_as_written()
    {
        // pySigma appends "and (<filter condition>)"; a filter without "not" narrows the rule instead.
        var narrowing = "title: only robots\nid: f-narrow\nlogsource:\n  product: aws\nfilter:\n  rules: [r-stop]\n  automation:\n    userIdentity.arn|endswith: ':role/automation'\n  condition: automation\n";
        var load = RuleLoader.LoadTexts([("rule.yml", RuleDoc("r-stop", "stop_logging", "StopLogging")), ("filter.yml", narrowing)]);
        var rule = Assert.Single(load.Rules);
        Assert.True(rule.Matches(Robot));
        Assert.False(rule.Matches(Human));
    }

    [Fact]
    public void A_filter_keeps_the_rule_indexed_by_eventName()
    {
        var load = RuleLoader.LoadTexts([("rule.yml", RuleDoc("r-stop", "stop_logging", "StopLogging")), ("filter.yml", FilterDoc("f1", "r-stop"))]);
        var rule = Assert.Single(load.Rules);
        Assert.Equal(["StopLogging"], rule.EventNames!);
        Assert.Single(FindingsFor(rule, Human));
        Assert.Empty(FindingsFor(rule, Robot));
    }

    [Fact]
    public void A_filter_naming_an_unknown_rule_is_a_warning_at_the_filter()
    {
        var load = RuleLoader.LoadTexts([("rule.yml", RuleDoc("r-stop", "stop_logging", "StopLogging")), ("filter.yml", FilterDoc("f1", "r-stop", "no-such-rule"))]);
        var d = Assert.Single(load.Diagnostics);
        Assert.Equal(DiagnosticCodes.SigmaReference, d.Code);
        Assert.Equal(DiagnosticLevel.Warning, d.Level);
        Assert.Equal(new SourceSpan("filter.yml", 1, 1), d.Span);
        Assert.Contains("no-such-rule", d.Message);
        // The rule it does know is still filtered and loaded.
        Assert.False(Assert.Single(load.Rules).Matches(Robot));
    }

    [Fact]
    public void A_filter_without_rules_is_an_error()
    {
        var load = Load("title: f\nid: f\nlogsource:\n  product: aws\nfilter:\n  sel:\n    eventName: A\n  condition: not sel\n");
        Assert.Single(load.Diagnostics, d => d.Code == DiagnosticCodes.MissingField && d.Level == DiagnosticLevel.Error);
    }

    [Fact]
    public void A_filter_condition_is_checked_like_a_rule_condition()
    {
        var load = Load("title: f\nid: f\nlogsource:\n  product: aws\nfilter:\n  rules: [x]\n  sel:\n    eventName: A\n  condition: not sle\n");
        // "  condition: not sle": the unknown name is at column 18.
        Assert.Equal(At(9, 18), Single(load, DiagnosticCodes.SigmaCondition).Span);
    }
}
