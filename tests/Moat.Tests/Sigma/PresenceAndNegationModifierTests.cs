using Moat.Rules;
using static Moat.Tests.Sigma.SigmaFixture;

namespace Moat.Tests.Sigma;

/// <summary>exists (presence only) and neq (the whole item negated, so a missing field satisfies it).</summary>
public sealed class PresenceAndNegationModifierTests
{
    [Theory]
    [InlineData("""{"errorCode": "AccessDenied"}""", true)]
    [InlineData("""{"errorCode": ""}""", true)]
    [InlineData("""{"errorCode": null}""", true)]
    [InlineData("""{"errorCode": {}}""", true)]
    [InlineData("""{}""", false)]
    [InlineData("""{"other": "x"}""", false)]
    public void Exists_true_needs_the_key_even_when_it_holds_null(string json, bool expected)
    {
        Assert.Equal(expected, Rule("sel:\n  errorCode|exists: true\ncondition: sel").Matches(json));
    }

    [Theory]
    [InlineData("""{"errorCode": "AccessDenied"}""", false)]
    [InlineData("""{"errorCode": null}""", false)]
    [InlineData("""{}""", true)]
    public void Exists_false_needs_the_key_to_be_missing(string json, bool expected)
    {
        Assert.Equal(expected, Rule("sel:\n  errorCode|exists: false\ncondition: sel").Matches(json));
    }

    [Fact]
    public void Exists_on_a_dotted_path_looks_through_objects_and_arrays()
    {
        var rule = Rule("sel:\n  requestParameters.policy.statement|exists: true\ncondition: sel");
        Assert.True(rule.Matches("""{"requestParameters": {"policy": [{"x": 1}, {"statement": null}]}}"""));
        Assert.False(rule.Matches("""{"requestParameters": {"policy": [{"x": 1}]}}"""));
    }

    [Theory]
    [InlineData("sel:\n  f|exists|contains: true\ncondition: sel")]
    [InlineData("sel:\n  f|exists: yes please\ncondition: sel")]
    [InlineData("sel:\n  f|exists:\n    - true\n    - false\ncondition: sel")]
    public void Exists_takes_one_boolean_and_no_other_modifier(string detection)
    {
        var load = LoadDetection(detection);
        Assert.Empty(load.Rules);
        Assert.Equal(At(FirstDetectionLine + 1, 5), Single(load, DiagnosticCodes.SigmaUnsupported).Span);
    }

    [Theory]
    [InlineData("""{"f": "other"}""", true)]
    [InlineData("""{"f": "Console"}""", false)]
    [InlineData("""{"f": "CONSOLE"}""", false)]
    [InlineData("""{"f": null}""", true)]
    [InlineData("""{}""", true)]
    public void Neq_negates_the_item_so_a_missing_field_satisfies_it(string json, bool expected)
    {
        Assert.Equal(expected, Rule("sel:\n  f|neq: console\ncondition: sel").Matches(json));
    }

    [Theory]
    [InlineData("""{"f": "c"}""", true)]
    [InlineData("""{"f": "a"}""", false)]
    [InlineData("""{"f": "B"}""", false)]
    public void Neq_with_a_list_is_none_of_the_values(string json, bool expected)
    {
        Assert.Equal(expected, Rule("sel:\n  f|neq:\n    - a\n    - b\ncondition: sel").Matches(json));
    }

    [Theory]
    [InlineData("""{"port": 22}""", false)]
    [InlineData("""{"port": "22"}""", false)]
    [InlineData("""{"port": 3389}""", true)]
    public void Neq_compares_numbers_by_value(string json, bool expected)
    {
        Assert.Equal(expected, Rule("sel:\n  port|neq: 22\ncondition: sel").Matches(json));
    }

    [Fact]
    public void Neq_combines_with_contains()
    {
        var rule = Rule("sel:\n  userAgent|contains|neq: console\ncondition: sel");
        Assert.False(rule.Matches(Event("userAgent", "AWS Internal / Console")));
        Assert.True(rule.Matches(Event("userAgent", "aws-cli/2")));
    }

    [Fact]
    public void Neq_is_anded_with_the_rest_of_its_map()
    {
        var rule = Rule("sel:\n  eventName: ConsoleLogin\n  additionalEventData.MFAUsed|neq: 'Yes'\ncondition: sel");
        Assert.True(rule.Matches("""{"eventName": "ConsoleLogin", "additionalEventData": {"MFAUsed": "No"}}"""));
        Assert.True(rule.Matches("""{"eventName": "ConsoleLogin"}"""));
        Assert.False(rule.Matches("""{"eventName": "ConsoleLogin", "additionalEventData": {"MFAUsed": "YES"}}"""));
        Assert.False(rule.Matches("""{"eventName": "GetCallerIdentity"}"""));
    }
}
