using Moat.Rules;
using static Moat.Tests.Sigma.SigmaFixture;

namespace Moat.Tests.Sigma;

/// <summary>lt / lte / gt / gte on numbers and numeric strings, and the time-part modifiers on eventTime.</summary>
public sealed class NumericAndTimeModifierTests
{
    [Theory]
    [InlineData("gt", "6", true)]
    [InlineData("gt", "\"6\"", true)]
    [InlineData("gt", "5.5", true)]
    [InlineData("gt", "5", false)]
    [InlineData("gt", "\"5\"", false)]
    [InlineData("gte", "5", true)]
    [InlineData("gte", "\"5.0\"", true)]
    [InlineData("gte", "4.999", false)]
    [InlineData("lt", "4", true)]
    [InlineData("lt", "\"-10\"", true)]
    [InlineData("lt", "5", false)]
    [InlineData("lte", "5", true)]
    [InlineData("lte", "\"5\"", true)]
    [InlineData("lte", "6", false)]
    public void Comparisons_read_json_numbers_and_numeric_strings(string modifier, string jsonValue, bool expected)
    {
        var rule = Rule($"sel:\n  n|{modifier}: 5\ncondition: sel");
        Assert.Equal(expected, rule.Matches("{\"n\": " + jsonValue + "}"));
    }

    [Theory]
    [InlineData("""{"n": "abc"}""")]
    [InlineData("""{"n": null}""")]
    [InlineData("""{"n": true}""")]
    [InlineData("""{}""")]
    public void Comparisons_never_match_a_value_that_is_not_a_number(string json)
    {
        Assert.False(Rule("sel:\n  n|gte: 0\ncondition: sel").Matches(json));
        Assert.False(Rule("sel:\n  n|lt: 1000\ncondition: sel").Matches(json));
    }

    [Fact]
    public void Comparisons_in_one_map_make_a_range()
    {
        var rule = Rule("sel:\n  n|gte: 10\n  n|lt: 20\ncondition: sel");
        Assert.True(rule.Matches("""{"n": 10}"""));
        Assert.True(rule.Matches("""{"n": 19.9}"""));
        Assert.False(rule.Matches("""{"n": 20}"""));
        Assert.False(rule.Matches("""{"n": 9}"""));
    }

    [Fact]
    public void Comparisons_accept_a_quoted_number_in_the_rule()
    {
        Assert.True(Rule("sel:\n  n|gt: '1e3'\ncondition: sel").Matches("""{"n": 1001}"""));
    }

    [Fact]
    public void A_comparison_with_a_value_that_is_not_a_number_is_reported_at_the_value()
    {
        var load = LoadDetection("sel:\n  n|gt: many\ncondition: sel");
        Assert.Empty(load.Rules);
        Assert.Equal(At(FirstDetectionLine + 1, 11), Single(load, DiagnosticCodes.BadNumber).Span);
    }

    private const string Time = """{"eventTime": "2024-03-05T22:47:13Z"}""";

    [Theory]
    [InlineData("minute", 47)]
    [InlineData("hour", 22)]
    [InlineData("day", 5)]
    [InlineData("week", 10)]
    [InlineData("month", 3)]
    [InlineData("year", 2024)]
    public void Time_modifiers_extract_a_part_of_eventTime(string part, int value)
    {
        Assert.True(Rule($"sel:\n  eventTime|{part}: {value}\ncondition: sel").Matches(Time));
        Assert.False(Rule($"sel:\n  eventTime|{part}: {value + 1}\ncondition: sel").Matches(Time));
    }

    [Fact]
    public void Time_modifiers_combine_with_comparisons()
    {
        var night = Rule("sel:\n  eventTime|hour|gte: 22\ncondition: sel");
        Assert.True(night.Matches(Time));
        Assert.False(night.Matches("""{"eventTime": "2024-03-05T21:59:59Z"}"""));

        var offHours = Rule("sel:\n  - eventTime|hour|lt: 6\n  - eventTime|hour|gte: 22\ncondition: sel");
        Assert.True(offHours.Matches("""{"eventTime": "2024-03-05T03:00:00Z"}"""));
        Assert.False(offHours.Matches("""{"eventTime": "2024-03-05T12:00:00Z"}"""));
    }

    [Fact]
    public void Time_modifiers_take_a_list_of_values_as_or()
    {
        var days = Rule("sel:\n  eventTime|day:\n    - 2\n    - 5\ncondition: sel");
        Assert.True(days.Matches(Time));
        Assert.False(days.Matches("""{"eventTime": "2024-03-06T22:47:13Z"}"""));
    }

    [Fact]
    public void Week_is_the_iso_week()
    {
        // 2021-01-03 is a Sunday that belongs to ISO week 53 of 2020.
        Assert.True(Rule("sel:\n  eventTime|week: 53\ncondition: sel").Matches("""{"eventTime": "2021-01-03T10:00:00Z"}"""));
    }

    [Theory]
    [InlineData("""{"eventTime": "not a time"}""")]
    [InlineData("""{"eventTime": 1709678833}""")]
    [InlineData("""{}""")]
    public void Time_modifiers_never_match_a_value_that_is_not_a_timestamp(string json)
    {
        Assert.False(Rule("sel:\n  eventTime|year|gte: 0\ncondition: sel").Matches(json));
    }
}
