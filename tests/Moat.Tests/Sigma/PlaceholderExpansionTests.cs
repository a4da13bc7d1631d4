using Moat.Rules;
using Moat.Rules.Sigma;
using static Moat.Tests.Sigma.SigmaFixture;

namespace Moat.Tests.Sigma;

/// <summary>expand: %name% placeholders are filled from SigmaOptions; a rule whose placeholder has no values is rejected.</summary>
public sealed class PlaceholderExpansionTests
{
    private static SigmaOptions Options(params (string Name, string[] Values)[] placeholders) =>
        new(placeholders.ToDictionary(p => p.Name, p => (IReadOnlyList<string>)p.Values));

    [Fact]
    public void Placeholder_values_given_in_the_options_are_alternatives()
    {
        var rule = Rule("sel:\n  sourceIPAddress|expand: '%office_ips%'\ncondition: sel",
            Options(("office_ips", ["198.51.100.7", "203.0.113.*"])));
        Assert.True(rule.Matches(Event("sourceIPAddress", "198.51.100.7")));
        Assert.True(rule.Matches(Event("sourceIPAddress", "203.0.113.99")));
        Assert.False(rule.Matches(Event("sourceIPAddress", "192.0.2.1")));
    }

    [Fact]
    public void A_placeholder_inside_a_longer_value_keeps_the_text_around_it()
    {
        var rule = Rule("sel:\n  userIdentity.arn|expand: 'arn:aws:iam::%account%:root'\ncondition: sel",
            Options(("account", ["111111111111", "222222222222"])));
        Assert.True(rule.Matches("""{"userIdentity": {"arn": "arn:aws:iam::222222222222:root"}}"""));
        Assert.False(rule.Matches("""{"userIdentity": {"arn": "arn:aws:iam::333333333333:root"}}"""));
    }

    [Fact]
    public void Two_placeholders_in_one_value_expand_to_every_combination()
    {
        var rule = Rule("sel:\n  f|expand: '%a%-%b%'\ncondition: sel", Options(("a", ["x", "y"]), ("b", ["1", "2"])));
        foreach (var v in new[] { "x-1", "x-2", "y-1", "y-2" }) Assert.True(rule.Matches(Event("f", v)), v);
        Assert.False(rule.Matches(Event("f", "x-3")));
    }

    [Fact]
    public void Expand_combines_with_contains()
    {
        var rule = Rule("sel:\n  userAgent|expand|contains: '%tool%'\ncondition: sel", Options(("tool", ["pacu", "trufflehog"])));
        Assert.True(rule.Matches(Event("userAgent", "TruffleHog/3.0")));
    }

    [Fact]
    public void A_placeholder_without_values_rejects_the_rule_naming_it_at_the_value()
    {
        var load = LoadDetection("sel:\n  eventName: ConsoleLogin\n  sourceIPAddress|expand: '%office_ips%'\ncondition: sel");
        Assert.Empty(load.Rules);
        var d = Single(load, DiagnosticCodes.SigmaPlaceholder);
        Assert.Equal(DiagnosticLevel.Error, d.Level);
        Assert.Equal(At(FirstDetectionLine + 2, 29), d.Span);
        Assert.Contains("%office_ips%", d.Message);
    }

    [Fact]
    public void Values_for_another_placeholder_do_not_help()
    {
        var load = LoadDetection("sel:\n  f|expand: '%a%%b%'\ncondition: sel", Options(("a", ["x"])));
        Assert.Empty(load.Rules);
        Assert.Contains("%b%", Single(load, DiagnosticCodes.SigmaPlaceholder).Message);
    }

    [Fact]
    public void Without_expand_a_percent_name_is_plain_text()
    {
        var rule = Rule("sel:\n  f: '%office_ips%'\ncondition: sel");
        Assert.True(rule.Matches(Event("f", "%OFFICE_IPS%")));
        Assert.False(rule.Matches(Event("f", "198.51.100.7")));
    }

    [Fact]
    public void An_escaped_percent_is_plain_text_under_expand()
    {
        // Specification: "field|expand: \%plain%name%" handles %plain as plain value and %name% as placeholder.
        var rule = Rule("sel:\n  f|expand: '\\%plain%name%'\ncondition: sel", Options(("name", ["X", "Y"])));
        Assert.True(rule.Matches(Event("f", "%plainX")));
        Assert.True(rule.Matches(Event("f", "%plainy")));
        Assert.False(rule.Matches(Event("f", "\\%plainX")));
    }
}
