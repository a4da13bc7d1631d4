using Moat.Tests.Rules;
using static Moat.Tests.Rules.RuleFixture;

namespace Moat.Tests.Compile;

/// <summary>equals (a plain value), in (a list), and ignore_case.</summary>
public sealed class EqualityOperatorTests
{
    [Fact]
    public void Equals_is_case_sensitive_by_default()
    {
        var rule = Rule("userAgent: Console");
        Assert.True(rule.Matches("""{"userAgent": "Console"}"""));
        Assert.False(rule.Matches("""{"userAgent": "console"}"""));
        Assert.False(rule.Matches("""{"userAgent": "Console "}"""));
    }

    [Fact]
    public void Explicit_equals_is_the_same_as_a_plain_value()
    {
        var rule = Rule("userAgent: { equals: Console }");
        Assert.True(rule.Matches("""{"userAgent": "Console"}"""));
        Assert.False(rule.Matches("""{"userAgent": "CONSOLE"}"""));
    }

    [Fact]
    public void Ignore_case_makes_equals_case_insensitive()
    {
        var rule = Rule("userAgent: { equals: Console, ignore_case: true }");
        Assert.True(rule.Matches("""{"userAgent": "CONSOLE"}"""));
        Assert.True(rule.Matches("""{"userAgent": "console"}"""));
        Assert.False(rule.Matches("""{"userAgent": "consoles"}"""));
    }

    [Fact]
    public void Ignore_case_false_keeps_equals_case_sensitive()
    {
        var rule = Rule("userAgent: { equals: Console, ignore_case: false }");
        Assert.False(rule.Matches("""{"userAgent": "console"}"""));
    }

    [Fact]
    public void Ignore_case_applies_whichever_order_the_operators_are_written_in()
    {
        var rule = Rule("userAgent: { ignore_case: true, in: [Console, Cli] }");
        Assert.True(rule.Matches("""{"userAgent": "cli"}"""));
    }

    [Fact]
    public void A_list_matches_any_of_its_values()
    {
        var rule = Rule("eventName: [CreateUser, DeleteUser]");
        Assert.True(rule.Matches("""{"eventName": "CreateUser"}"""));
        Assert.True(rule.Matches("""{"eventName": "DeleteUser"}"""));
        Assert.False(rule.Matches("""{"eventName": "UpdateUser"}"""));
        Assert.False(rule.Matches("""{"eventName": "createuser"}"""));
    }

    [Fact]
    public void In_operator_is_the_same_as_a_list()
    {
        var rule = Rule("eventName: { in: [CreateUser, DeleteUser] }");
        Assert.True(rule.Matches("""{"eventName": "DeleteUser"}"""));
        Assert.False(rule.Matches("""{"eventName": "UpdateUser"}"""));
    }

    [Fact]
    public void In_list_with_ignore_case()
    {
        var rule = Rule("eventName: { in: [CreateUser, DeleteUser], ignore_case: true }");
        Assert.True(rule.Matches("""{"eventName": "deleteuser"}"""));
    }

    [Theory]
    [InlineData("5432")]
    [InlineData("5432.0")]
    [InlineData("5.432e3")]
    [InlineData("54320e-1")]
    public void Numbers_compare_by_value(string json)
    {
        var rule = Rule("port: 5432");
        Assert.True(rule.Matches("""{"port": """ + json + "}"));
    }

    [Fact]
    public void A_rule_number_written_with_a_decimal_point_matches_an_integer()
    {
        var rule = Rule("port: 5432.0");
        Assert.True(rule.Matches("""{"port": 5432}"""));
        Assert.False(rule.Matches("""{"port": 5433}"""));
    }

    [Fact]
    public void A_quoted_rule_number_still_compares_by_value_with_a_json_number()
    {
        var rule = Rule("port: \"5432\"");
        Assert.True(rule.Matches("""{"port": 5432.0}"""));
    }

    [Fact]
    public void A_string_field_compares_as_text()
    {
        // Console and Go SDK events carry ports as strings; they match the same text, not a different spelling.
        Assert.True(Rule("port: 5432").Matches("""{"port": "5432"}"""));
        Assert.False(Rule("port: 5432").Matches("""{"port": "5432.0"}"""));
        Assert.False(Rule("port: 5432.0").Matches("""{"port": "5432"}"""));
    }

    [Fact]
    public void A_text_value_never_equals_a_number()
    {
        var rule = Rule("port: ssh");
        Assert.False(rule.Matches("""{"port": 22}"""));
    }

    [Fact]
    public void Boolean_true_matches_json_true_and_the_string_true()
    {
        var rule = Rule("enabled: true");
        Assert.True(rule.Matches("""{"enabled": true}"""));
        Assert.True(rule.Matches("""{"enabled": "true"}"""));
        Assert.False(rule.Matches("""{"enabled": false}"""));
        Assert.False(rule.Matches("""{"enabled": "false"}"""));
        Assert.False(rule.Matches("""{"enabled": 1}"""));
    }

    [Fact]
    public void Boolean_false_matches_json_false()
    {
        var rule = Rule("enabled: false");
        Assert.True(rule.Matches("""{"enabled": false}"""));
        Assert.False(rule.Matches("""{"enabled": true}"""));
        Assert.False(rule.Matches("""{}"""));
    }

    [Fact]
    public void The_quoted_text_null_does_not_match_json_null_or_a_missing_field()
    {
        var rule = Rule("errorCode: \"null\"");
        Assert.True(rule.Matches("""{"errorCode": "null"}"""));
        Assert.False(rule.Matches("""{"errorCode": null}"""));
        Assert.False(rule.Matches("""{}"""));
    }

    [Fact]
    public void Equals_never_matches_a_missing_field_an_object_or_an_array_of_objects()
    {
        var rule = Rule("groupId: sg-1");
        Assert.False(rule.Matches("""{}"""));
        Assert.False(rule.Matches("""{"groupId": {"id": "sg-1"}}"""));
        Assert.False(rule.Matches("""{"groupId": [{"id": "sg-1"}]}"""));
    }

    [Fact]
    public void Not_equals_matches_a_missing_field()
    {
        var rule = Rule("not: { errorCode: AccessDenied }");
        Assert.True(rule.Matches("""{}"""));
        Assert.True(rule.Matches("""{"errorCode": "Other"}"""));
        Assert.False(rule.Matches("""{"errorCode": "AccessDenied"}"""));
    }

    [Fact]
    public void Strings_with_escapes_compare_by_their_decoded_text()
    {
        var rule = Rule("name: \"a\\\"b/c\"");
        Assert.True(rule.Matches("""{"name": "a\"b\/c"}"""));
        Assert.True(rule.Matches("""{"name": "\u0061\"b/c"}"""));
    }

    [Fact]
    public void Several_keys_in_one_condition_mapping_must_all_hold()
    {
        var rule = Rule("""
            eventSource: iam.amazonaws.com
            eventName: CreateUser
            """);
        Assert.True(rule.Matches("""{"eventSource": "iam.amazonaws.com", "eventName": "CreateUser"}"""));
        Assert.False(rule.Matches("""{"eventSource": "sts.amazonaws.com", "eventName": "CreateUser"}"""));
    }

    [Fact]
    public void Any_needs_one_branch_and_all_needs_every_branch()
    {
        var rule = Rule("""
            any:
              - all:
                  - a: 1
                  - b: 2
              - c: 3
            """);
        Assert.True(rule.Matches("""{"a": 1, "b": 2}"""));
        Assert.True(rule.Matches("""{"c": 3}"""));
        Assert.False(rule.Matches("""{"a": 1, "b": 3}"""));
        Assert.False(rule.Matches("""{}"""));
    }
}
