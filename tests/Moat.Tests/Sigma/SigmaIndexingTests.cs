using Moat.Rules;
using static Moat.Tests.Sigma.SigmaFixture;

namespace Moat.Tests.Sigma;

/// <summary>
/// Translated Sigma rules use Moat's eventName index (case-insensitive, union over "1 of" branches) and, when
/// they do not pin eventName, the literal prefilter. Every test here runs events through the RecordEvaluator.
/// </summary>
public sealed class SigmaIndexingTests
{
    private static string Ev(string source, string name, string extra = "") =>
        $"{{\"eventSource\": \"{source}\", \"eventName\": \"{name}\"{extra}}}";

    [Fact]
    public void A_selection_on_eventSource_and_eventName_is_indexed()
    {
        var rule = Rule("sel:\n  eventSource: cloudtrail.amazonaws.com\n  eventName:\n    - StopLogging\n    - DeleteTrail\ncondition: sel");
        Assert.Equal(["StopLogging", "DeleteTrail"], rule.EventNames!);
        Assert.Equal(["cloudtrail.amazonaws.com"], rule.EventSources!);
        Assert.Single(FindingsFor(rule, Ev("cloudtrail.amazonaws.com", "StopLogging")));
        Assert.Single(FindingsFor(rule, Ev("cloudtrail.amazonaws.com", "DeleteTrail")));
        Assert.Empty(FindingsFor(rule, Ev("cloudtrail.amazonaws.com", "UpdateTrail")));
        Assert.Empty(FindingsFor(rule, Ev("s3.amazonaws.com", "StopLogging")));
    }

    [Fact]
    public void The_index_ignores_case_like_sigma_values_do()
    {
        var rule = Rule("sel:\n  eventSource: CloudTrail.amazonaws.com\n  eventName: stoplogging\ncondition: sel");
        Assert.Single(FindingsFor(rule, Ev("cloudtrail.amazonaws.com", "StopLogging")));
    }

    [Fact]
    public void Cased_eventName_is_still_indexed_and_still_case_sensitive()
    {
        var rule = Rule("sel:\n  eventName|cased: StopLogging\ncondition: sel");
        Assert.Equal(["StopLogging"], rule.EventNames!);
        Assert.Single(FindingsFor(rule, Ev("cloudtrail.amazonaws.com", "StopLogging")));
        Assert.Empty(FindingsFor(rule, Ev("cloudtrail.amazonaws.com", "stoplogging")));
    }

    [Fact]
    public void One_of_selections_that_each_pin_names_is_indexed_by_their_union()
    {
        var rule = Rule("""
            selection_trail:
              eventSource: cloudtrail.amazonaws.com
              eventName: StopLogging
            selection_config:
              eventSource: config.amazonaws.com
              eventName:
                - StopConfigurationRecorder
                - DeleteDeliveryChannel
            filter_main:
              errorCode: AccessDenied
            condition: 1 of selection_* and not filter_main
            """);
        Assert.Equal(new HashSet<string> { "StopLogging", "StopConfigurationRecorder", "DeleteDeliveryChannel" }, rule.EventNames!.ToHashSet());
        Assert.Equal(new HashSet<string> { "cloudtrail.amazonaws.com", "config.amazonaws.com" }, rule.EventSources!.ToHashSet());
        Assert.Single(FindingsFor(rule, Ev("cloudtrail.amazonaws.com", "StopLogging")));
        Assert.Single(FindingsFor(rule, Ev("config.amazonaws.com", "DeleteDeliveryChannel")));
        Assert.Empty(FindingsFor(rule, Ev("config.amazonaws.com", "StopLogging")));
        Assert.Empty(FindingsFor(rule, Ev("cloudtrail.amazonaws.com", "StopLogging", ", \"errorCode\": \"AccessDenied\"")));
        Assert.Empty(FindingsFor(rule, Ev("cloudtrail.amazonaws.com", "StartLogging")));
    }

    [Fact]
    public void A_branch_that_does_not_pin_eventName_leaves_the_rule_unindexed_but_correct()
    {
        var rule = Rule("""
            selection_a:
              eventName: StopLogging
            selection_b:
              userAgent|contains: pacu
            condition: 1 of selection_*
            """);
        Assert.Null(rule.EventNames);
        Assert.Single(FindingsFor(rule, Ev("cloudtrail.amazonaws.com", "StopLogging")));
        Assert.Single(FindingsFor(rule, Ev("iam.amazonaws.com", "ListUsers", ", \"userAgent\": \"Pacu/1.0\"")));
        Assert.Empty(FindingsFor(rule, Ev("iam.amazonaws.com", "ListUsers", ", \"userAgent\": \"aws-cli\"")));
    }

    [Fact]
    public void A_negated_eventName_is_not_an_index_key()
    {
        var rule = Rule("sel:\n  eventSource: iam.amazonaws.com\nnoise:\n  eventName: GetUser\ncondition: sel and not noise");
        Assert.Null(rule.EventNames);
        Assert.Single(FindingsFor(rule, Ev("iam.amazonaws.com", "CreateUser")));
        Assert.Empty(FindingsFor(rule, Ev("iam.amazonaws.com", "GetUser")));
    }

    [Fact]
    public void A_rule_without_eventName_gets_literals_and_a_not_indexed_warning()
    {
        var load = LoadDetection("sel:\n  userAgent: TruffleHog\ncondition: sel");
        var rule = Assert.Single(load.Rules);
        Assert.Null(rule.EventNames);
        Assert.Equal(["TruffleHog"], rule.Literals!);
        var d = Single(load, DiagnosticCodes.NotIndexed);
        Assert.Equal(DiagnosticLevel.Warning, d.Level);
    }

    [Theory]
    // A plain value is equality ignoring case: the literal prefilter lets "trufflehog/3.0" through, the condition does not.
    [InlineData("TruffleHog", true)]
    [InlineData("trufflehog", true)]
    [InlineData("trufflehog/3.0", false)]
    [InlineData("aws-cli/2", false)]
    public void A_plain_value_without_eventName_is_equality_through_the_prefilter(string userAgent, bool expected)
    {
        var rule = Rule("sel:\n  userAgent: TruffleHog\ncondition: sel");
        Assert.Equal(expected, FindingsFor(rule, Ev("s3.amazonaws.com", "ListBuckets", $", \"userAgent\": \"{userAgent}\"")).Count == 1);
    }

    [Theory]
    [InlineData("TruffleHog", true)]
    [InlineData("trufflehog/3.0", true)]
    [InlineData("x TRUFFLEHOG y", true)]
    [InlineData("aws-cli/2", false)]
    public void Contains_without_eventName_matches_inside_the_value_through_the_prefilter(string userAgent, bool expected)
    {
        var rule = Rule("sel:\n  userAgent|contains: TruffleHog\ncondition: sel");
        Assert.Equal(["TruffleHog"], rule.Literals!);
        Assert.Equal(expected, FindingsFor(rule, Ev("s3.amazonaws.com", "ListBuckets", $", \"userAgent\": \"{userAgent}\"")).Count == 1);
    }

    [Fact]
    public void A_value_list_without_eventName_gives_one_literal_per_value()
    {
        var rule = Rule("sel:\n  userAgent|contains:\n    - pacu\n    - cloudsploit\ncondition: sel");
        Assert.Equal(new HashSet<string> { "pacu", "cloudsploit" }, rule.Literals!.ToHashSet());
        Assert.Single(FindingsFor(rule, Ev("iam.amazonaws.com", "ListUsers", ", \"userAgent\": \"CloudSploit scanner\"")));
        Assert.Single(FindingsFor(rule, Ev("iam.amazonaws.com", "ListUsers", ", \"userAgent\": \"PACU\"")));
        Assert.Empty(FindingsFor(rule, Ev("iam.amazonaws.com", "ListUsers", ", \"userAgent\": \"aws-cli\"")));
    }

    [Fact]
    public void A_numeric_value_gives_no_literal_but_still_matches()
    {
        var rule = Rule("sel:\n  responseElements.port: 5432\ncondition: sel");
        Assert.Null(rule.Literals);
        Assert.Single(FindingsFor(rule, Ev("rds.amazonaws.com", "ModifyDBInstance", ", \"responseElements\": {\"port\": 5.432e3}")));
    }

    [Fact]
    public void Indexed_and_prefiltered_sigma_rules_share_one_index()
    {
        var load = Load(RuleText("sel:\n  eventName: StopLogging\ncondition: sel") + "---\n" +
            RuleText("sel:\n  userAgent|contains: pacu\ncondition: sel").Replace("id: r1", "id: r2"));
        Assert.Equal(2, load.Rules.Count);
        var findings = FindingsFor(load.Rules, Ev("cloudtrail.amazonaws.com", "StopLogging", ", \"userAgent\": \"pacu/1\""));
        Assert.Equal(["r1", "r2"], findings.Select(f => f.RuleId).Order().ToArray());
        Assert.Equal(["r2"], FindingsFor(load.Rules, Ev("iam.amazonaws.com", "ListUsers", ", \"userAgent\": \"pacu/1\"")).Select(f => f.RuleId).ToArray());
    }

    [Theory]
    // A regex escape such as \s or \d is a class, not its letter: the required text must not include it.
    [InlineData(@"user\sname", "user name")]
    [InlineData(@"ac\d\d\dkey", "ac123key")]
    [InlineData(@"id\x41BC", "idABC")]
    [InlineData(@"tok\p{Lu}{3}end", "tokABCend")]
    // A group construct is not literal text either.
    [InlineData(@"x(?:abcd)+", "xabcdabcd")]
    [InlineData(@"x(?<tag>abcd)", "xabcd")]
    // An escaped ] does not close a character class.
    [InlineData(@"[\]abcd]xyz", "bxyz")]
    public void Regex_literals_never_demand_text_the_regex_does_not_match(string regex, string userAgent)
    {
        var rule = Rule($"sel:\n  userAgent|re: '{regex}'\ncondition: sel");
        Assert.Null(rule.EventNames);
        Assert.True(rule.Matches(Event("userAgent", userAgent)));
        Assert.Single(FindingsFor(rule, Ev("iam.amazonaws.com", "ListUsers", $", \"userAgent\": \"{userAgent}\"")));
    }

    [Fact]
    public void Regex_literals_still_come_from_the_plain_runs_around_escapes()
    {
        var rule = Rule(@"sel:
  userAgent|re: 'curl/\d+\.\d+ evilscan'
condition: sel");
        Assert.Equal([" evilscan"], rule.Literals!);
    }

    [Theory]
    // Common JSON writers escape these characters (Go: < > &; .NET: also ' + `), so they are not searched for as written.
    [InlineData("a&b", "a\\u0026b")]
    [InlineData("<script>", "\\u003cscript\\u003e")]
    [InlineData("x+y", "x\\u002By")]
    public void Literals_avoid_characters_that_json_writers_escape(string value, string escaped)
    {
        var rule = Rule($"sel:\n  userAgent|contains: '{value}'\ncondition: sel");
        Assert.Single(FindingsFor(rule, Ev("iam.amazonaws.com", "ListUsers", $", \"userAgent\": \"zz {escaped} zz\"")));
    }
}
