using Moat.Tests.Rules;
using static Moat.Tests.Rules.RuleFixture;

namespace Moat.Tests.Compile;

/// <summary>exists (the key is there, even holding null) versus null (missing or JSON null).</summary>
public sealed class PresenceOperatorTests
{
    [Theory]
    [InlineData("""{}""", false)]
    [InlineData("""{"errorCode": null}""", true)]
    [InlineData("""{"errorCode": ""}""", true)]
    [InlineData("""{"errorCode": "AccessDenied"}""", true)]
    [InlineData("""{"errorCode": {}}""", true)]
    public void Exists_true_needs_the_key_whatever_it_holds(string json, bool expected) =>
        Assert.Equal(expected, Rule("errorCode: { exists: true }").Matches(json));

    [Theory]
    [InlineData("""{}""", true)]
    [InlineData("""{"errorCode": null}""", false)]
    [InlineData("""{"errorCode": "AccessDenied"}""", false)]
    public void Exists_false_needs_the_key_to_be_missing(string json, bool expected) =>
        Assert.Equal(expected, Rule("errorCode: { exists: false }").Matches(json));

    [Theory]
    [InlineData("""{}""", true)]
    [InlineData("""{"errorCode": null}""", true)]
    [InlineData("""{"errorCode": ""}""", false)]
    [InlineData("""{"errorCode": "AccessDenied"}""", false)]
    [InlineData("""{"errorCode": false}""", false)]
    public void Null_true_means_missing_or_json_null(string json, bool expected) =>
        Assert.Equal(expected, Rule("errorCode: { null: true }").Matches(json));

    [Theory]
    [InlineData("""{}""", false)]
    [InlineData("""{"errorCode": null}""", false)]
    [InlineData("""{"errorCode": "AccessDenied"}""", true)]
    [InlineData("""{"errorCode": 0}""", true)]
    public void Null_false_means_a_present_value(string json, bool expected) =>
        Assert.Equal(expected, Rule("errorCode: { null: false }").Matches(json));

    [Theory]
    [InlineData("""{}""", false)]
    [InlineData("""{"userIdentity": null}""", false)]
    [InlineData("""{"userIdentity": "text"}""", false)]
    [InlineData("""{"userIdentity": {}}""", false)]
    [InlineData("""{"userIdentity": {"sessionContext": null}}""", true)]
    public void Exists_on_a_nested_path_needs_every_parent(string json, bool expected) =>
        Assert.Equal(expected, Rule("userIdentity.sessionContext: { exists: true }").Matches(json));

    [Fact]
    public void Exists_through_an_array_needs_the_key_in_one_element()
    {
        var rule = Rule("items.cidrIpv6: { exists: true }");
        Assert.True(rule.Matches("""{"items": [{"cidrIp": "a"}, {"cidrIpv6": "b"}]}"""));
        Assert.False(rule.Matches("""{"items": [{"cidrIp": "a"}]}"""));
        Assert.False(rule.Matches("""{"items": []}"""));
    }

    [Fact]
    public void Null_through_an_array_is_false_when_any_element_has_a_value()
    {
        var rule = Rule("items.v: { null: true }");
        Assert.True(rule.Matches("""{"items": [{"v": null}, {}]}"""));
        Assert.False(rule.Matches("""{"items": [{"v": null}, {"v": 1}]}"""));
    }

    [Fact]
    public void Presence_combines_with_a_value_test_on_the_same_field()
    {
        var rule = Rule("errorCode: { null: false, startswith: Access }");
        Assert.True(rule.Matches("""{"errorCode": "AccessDenied"}"""));
        Assert.False(rule.Matches("""{"errorCode": "Throttling"}"""));
        Assert.False(rule.Matches("""{}"""));
    }
}
