using Moat.Tests.Rules;
using static Moat.Tests.Rules.RuleFixture;

namespace Moat.Tests.Compile;

/// <summary>contains / startswith / endswith / regex.</summary>
public sealed class StringOperatorTests
{
    [Fact]
    public void Contains_matches_a_substring_case_sensitively()
    {
        var rule = Rule("userAgent: { contains: aws-cli }");
        Assert.True(rule.Matches("""{"userAgent": "aws-cli/2.15.0 Python/3.11"}"""));
        Assert.True(rule.Matches("""{"userAgent": "[aws-cli]"}"""));
        Assert.False(rule.Matches("""{"userAgent": "AWS-CLI/2"}"""));
    }

    [Fact]
    public void Startswith_and_endswith_anchor_at_one_end()
    {
        Assert.True(Rule("arn: { startswith: \"arn:aws:iam::\" }").Matches("""{"arn": "arn:aws:iam::123:root"}"""));
        Assert.False(Rule("arn: { startswith: \"arn:aws:iam::\" }").Matches("""{"arn": "x arn:aws:iam::123:root"}"""));
        Assert.True(Rule("arn: { endswith: \":root\" }").Matches("""{"arn": "arn:aws:iam::123:root"}"""));
        Assert.False(Rule("arn: { endswith: \":root\" }").Matches("""{"arn": "arn:aws:iam::123:root/x"}"""));
    }

    [Fact]
    public void A_list_of_needles_matches_when_any_does()
    {
        var rule = Rule("userAgent: { startswith: [aws-cli, Boto3, aws-sdk-go] }");
        Assert.True(rule.Matches("""{"userAgent": "Boto3/1.34"}"""));
        Assert.True(rule.Matches("""{"userAgent": "aws-sdk-go/1.44"}"""));
        Assert.False(rule.Matches("""{"userAgent": "console.amazonaws.com"}"""));
    }

    [Theory]
    [InlineData("contains: CLI", "aws-cli/2")]
    [InlineData("startswith: AWS", "aws-cli/2")]
    [InlineData("endswith: ROOT", "arn:...:root")]
    public void Ignore_case_applies_to_the_string_operators(string op, string value)
    {
        Assert.False(Rule("f: { " + op + " }").Matches("""{"f": """ + "\"" + value + "\"}"));
        Assert.True(Rule("f: { " + op + ", ignore_case: true }").Matches("""{"f": """ + "\"" + value + "\"}"));
    }

    [Fact]
    public void String_operators_see_numbers_as_written_and_booleans_as_true_or_false()
    {
        Assert.True(Rule("port: { startswith: \"54\" }").Matches("""{"port": 5432}"""));
        Assert.True(Rule("port: { endswith: \".0\" }").Matches("""{"port": 5432.0}"""));
        Assert.True(Rule("flag: { contains: ru }").Matches("""{"flag": true}"""));
    }

    [Fact]
    public void String_operators_never_match_null_and_look_into_objects_leaf_by_leaf()
    {
        var rule = Rule("f: { contains: \"\" }");
        Assert.True(rule.Matches("""{"f": "anything"}"""));
        Assert.False(rule.Matches("""{"f": null}"""));
        Assert.False(rule.Matches("""{}"""));
        var inside = Rule("f: { contains: secret }");
        Assert.True(inside.Matches("""{"f": {"a": {"b": ["x", "top-secret"]}}}"""));
        Assert.False(inside.Matches("""{"f": {"secret": "keys are not values"}}"""));
    }

    [Fact]
    public void Several_operators_on_a_field_must_hold_for_the_same_value()
    {
        var rule = Rule("tags: { startswith: a, endswith: z }");
        Assert.True(rule.Matches("""{"tags": ["abz"]}"""));
        Assert.True(rule.Matches("""{"tags": ["q", "a-z"]}"""));
        Assert.False(rule.Matches("""{"tags": ["ab", "yz"]}"""));
    }

    [Fact]
    public void Regex_finds_a_match_anywhere_unless_anchored()
    {
        Assert.True(Rule("u: { regex: \"cli/[0-9]+\" }").Matches("""{"u": "aws-cli/2.15"}"""));
        Assert.False(Rule("u: { regex: \"^cli/[0-9]+\" }").Matches("""{"u": "aws-cli/2.15"}"""));
        Assert.True(Rule("u: { regex: \"^aws-cli/2\\\\.15$\" }").Matches("""{"u": "aws-cli/2.15"}"""));
        Assert.False(Rule("u: { regex: \"^aws-cli/2\\\\.15$\" }").Matches("""{"u": "aws-cli/2x15"}"""));
    }

    [Fact]
    public void Regex_is_case_sensitive_unless_ignore_case()
    {
        Assert.False(Rule("u: { regex: \"^aws\" }").Matches("""{"u": "AWS"}"""));
        Assert.True(Rule("u: { regex: \"^aws\", ignore_case: true }").Matches("""{"u": "AWS"}"""));
    }

    [Fact]
    public void A_list_of_regexes_matches_when_any_does()
    {
        var rule = Rule("u: { regex: [\"^a$\", \"^b$\"] }");
        Assert.True(rule.Matches("""{"u": "b"}"""));
        Assert.False(rule.Matches("""{"u": "ab"}"""));
    }

    [Fact]
    public void Regex_sees_numbers_as_written()
    {
        Assert.True(Rule("port: { regex: \"^22$\" }").Matches("""{"port": 22}"""));
    }

    [Fact]
    public void A_catastrophic_pattern_on_a_long_attacker_string_finishes()
    {
        // (a+)+$ backtracks exponentially on "aaa...a!"; the non-backtracking engine is linear.
        var rule = Rule("userAgent: { regex: \"(a+)+$\" }");
        var evil = new string('a', 50_000) + "!";
        Assert.False(rule.Matches("""{"userAgent": """ + "\"" + evil + "\"}"));
        Assert.True(rule.Matches("""{"userAgent": """ + "\"" + new string('a', 50_000) + "\"}"));
    }
}
