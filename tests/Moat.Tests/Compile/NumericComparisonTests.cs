using Moat.Tests.Rules;
using static Moat.Tests.Rules.RuleFixture;

namespace Moat.Tests.Compile;

/// <summary>gt / gte / lt / lte.</summary>
public sealed class NumericComparisonTests
{
    [Theory]
    [InlineData("gt", 1023, false)]
    [InlineData("gt", 1024, false)]
    [InlineData("gt", 1025, true)]
    [InlineData("gte", 1023, false)]
    [InlineData("gte", 1024, true)]
    [InlineData("gte", 1025, true)]
    [InlineData("lt", 1023, true)]
    [InlineData("lt", 1024, false)]
    [InlineData("lt", 1025, false)]
    [InlineData("lte", 1023, true)]
    [InlineData("lte", 1024, true)]
    [InlineData("lte", 1025, false)]
    public void Compares_numbers_at_the_boundary(string op, int value, bool expected)
    {
        var rule = Rule("port: { " + op + ": 1024 }");
        Assert.Equal(expected, rule.Matches("""{"port": """ + value + "}"));
    }

    [Fact]
    public void Numeric_strings_compare_as_numbers_not_as_text()
    {
        var rule = Rule("port: { gt: 9 }");
        Assert.True(rule.Matches("""{"port": "10"}"""));
        Assert.False(rule.Matches("""{"port": "8"}"""));
        Assert.True(rule.Matches("""{"port": "1e3"}"""));
    }

    [Fact]
    public void Decimal_and_negative_bounds()
    {
        Assert.True(Rule("v: { gte: 1.5 }").Matches("""{"v": 1.5}"""));
        Assert.False(Rule("v: { gte: 1.5 }").Matches("""{"v": 1.49}"""));
        Assert.True(Rule("v: { lt: -1 }").Matches("""{"v": -2}"""));
    }

    [Fact]
    public void Two_bounds_on_one_field_make_a_range()
    {
        var rule = Rule("port: { gte: 1024, lte: 2048 }");
        Assert.True(rule.Matches("""{"port": 1024}"""));
        Assert.True(rule.Matches("""{"port": 2048}"""));
        Assert.False(rule.Matches("""{"port": 2049}"""));
        Assert.False(rule.Matches("""{"port": 80}"""));
    }

    [Fact]
    public void A_range_must_hold_for_one_element_of_an_array()
    {
        var rule = Rule("ports: { gte: 1024, lte: 2048 }");
        Assert.False(rule.Matches("""{"ports": [80, 4000]}"""));
        Assert.True(rule.Matches("""{"ports": [80, 1500]}"""));
    }

    [Fact]
    public void Values_that_are_not_numbers_never_compare()
    {
        var rule = Rule("v: { gte: 0 }");
        Assert.False(rule.Matches("""{"v": "ten"}"""));
        Assert.False(rule.Matches("""{"v": true}"""));
        Assert.False(rule.Matches("""{"v": null}"""));
        Assert.False(rule.Matches("""{"v": {}}"""));
        Assert.False(rule.Matches("""{}"""));
    }

    [Fact]
    public void Not_of_a_comparison_matches_a_missing_field()
    {
        var rule = Rule("not: { v: { gt: 5 } }");
        Assert.True(rule.Matches("""{}"""));
        Assert.True(rule.Matches("""{"v": 5}"""));
        Assert.False(rule.Matches("""{"v": 6}"""));
    }
}
