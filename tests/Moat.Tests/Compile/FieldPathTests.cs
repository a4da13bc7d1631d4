using Moat.Compile;
using Moat.Tests.Rules;
using static Moat.Tests.Rules.RuleFixture;

namespace Moat.Tests.Compile;

/// <summary>Dotted paths: arrays walked element by element, alternatives a|b, and $. for the event root.</summary>
public sealed class FieldPathTests
{
    [Fact]
    public void A_field_holding_an_array_matches_when_any_element_does()
    {
        var rule = Rule("tags: prod");
        Assert.True(rule.Matches("""{"tags": ["dev", "prod"]}"""));
        Assert.False(rule.Matches("""{"tags": ["dev", "test"]}"""));
        Assert.False(rule.Matches("""{"tags": []}"""));
    }

    [Fact]
    public void Arrays_met_along_the_path_are_walked_element_by_element()
    {
        var rule = Rule("requestParameters.ipPermissions.items.ipRanges.items.cidrIp: 0.0.0.0/0");
        Assert.True(rule.Matches("""
            {"requestParameters": {"ipPermissions": {"items": [
              {"ipRanges": {"items": [{"cidrIp": "10.0.0.0/8"}]}},
              {"ipRanges": {"items": [{"cidrIp": "192.168.0.0/16"}, {"cidrIp": "0.0.0.0/0"}]}}
            ]}}}
            """));
        Assert.False(rule.Matches("""{"requestParameters": {"ipPermissions": {"items": [{"ipRanges": {}}]}}}"""));
    }

    [Fact]
    public void Nested_arrays_along_the_path_are_walked()
    {
        var rule = Rule("m.v: 3");
        Assert.True(rule.Matches("""{"m": [[{"v": 1}], [{"v": 2}, {"v": 3}]]}"""));
        Assert.False(rule.Matches("""{"m": [[{"v": 1}], [{"v": 2}]]}"""));
    }

    [Fact]
    public void Keys_are_case_sensitive()
    {
        var rule = Rule("requestParameters.groupId: sg-1");
        Assert.True(rule.Matches("""{"requestParameters": {"groupId": "sg-1"}}"""));
        Assert.False(rule.Matches("""{"requestParameters": {"GroupId": "sg-1"}}"""));
    }

    [Fact]
    public void A_path_through_a_scalar_finds_nothing()
    {
        var rule = Rule("a.b: { exists: true }");
        Assert.False(rule.Matches("""{"a": "b"}"""));
        Assert.False(rule.Matches("""{"a": 1}"""));
    }

    [Fact]
    public void Alternative_paths_match_when_either_holds_the_value()
    {
        var rule = Rule("cidrIp|cidrIpv6: { cidr: [10.0.0.0/8, \"fd00::/8\"] }");
        Assert.True(rule.Matches("""{"cidrIp": "10.0.0.1"}"""));
        Assert.True(rule.Matches("""{"cidrIpv6": "fd00::1"}"""));
        Assert.True(rule.Matches("""{"cidrIp": "8.8.8.8", "cidrIpv6": "fd00::1"}"""));
        Assert.False(rule.Matches("""{"cidrIp": "8.8.8.8"}"""));
        Assert.False(rule.Matches("""{}"""));
    }

    [Fact]
    public void Alternative_paths_may_nest_to_different_depths()
    {
        var rule = Rule("requestParameters.groupId|requestParameters.ModifySecurityGroupRulesRequest.GroupId: sg-7");
        Assert.True(rule.Matches("""{"requestParameters": {"ModifySecurityGroupRulesRequest": {"GroupId": "sg-7"}}}"""));
    }

    [Fact]
    public void Exists_on_alternative_paths_needs_one_of_them()
    {
        var rule = Rule("a|b: { exists: true }");
        Assert.True(rule.Matches("""{"b": null}"""));
        Assert.False(rule.Matches("""{"c": 1}"""));
        Assert.True(Rule("a|b: { exists: false }").Matches("""{"c": 1}"""));
    }

    [Fact]
    public void Null_on_alternative_paths_needs_all_of_them_empty()
    {
        var rule = Rule("a|b: { null: true }");
        Assert.True(rule.Matches("""{"a": null}"""));
        Assert.False(rule.Matches("""{"a": null, "b": 1}"""));
    }

    [Fact]
    public void A_root_path_at_the_top_is_the_same_as_a_plain_path()
    {
        var rule = Rule("$.eventName: A");
        Assert.True(rule.Matches("""{"eventName": "A"}"""));
    }

    [Theory]
    [InlineData("a", false, new[] { "a" })]
    [InlineData("a.b.c", false, new[] { "a", "b", "c" })]
    [InlineData("$.a.b", true, new[] { "a", "b" })]
    [InlineData(" a.b ", false, new[] { "a", "b" })]
    public void Parses_dotted_paths(string text, bool fromRoot, string[] segments)
    {
        var p = FieldPath.TryParse(text);
        Assert.NotNull(p);
        Assert.Equal(fromRoot, p.FromRoot);
        Assert.Equal(segments, p.Segments);
    }

    [Theory]
    [InlineData("")]
    [InlineData("  ")]
    [InlineData("$.")]
    [InlineData(".a")]
    [InlineData("a.")]
    [InlineData("a..b")]
    public void Rejects_empty_segments(string text) => Assert.Null(FieldPath.TryParse(text));
}
