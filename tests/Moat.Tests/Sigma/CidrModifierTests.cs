using Moat.Rules;
using static Moat.Tests.Sigma.SigmaFixture;

namespace Moat.Tests.Sigma;

/// <summary>cidr: IPv4 and IPv6 networks; values that are not addresses never match; host bits set are an error.</summary>
public sealed class CidrModifierTests
{
    [Theory]
    [InlineData("10.0.0.1", true)]
    [InlineData("10.255.255.255", true)]
    [InlineData("11.0.0.1", false)]
    [InlineData("2001:db8::1", false)]
    public void Ipv4_network_contains_its_addresses(string ip, bool expected)
    {
        var rule = Rule("sel:\n  sourceIPAddress|cidr: 10.0.0.0/8\ncondition: sel");
        Assert.Equal(expected, rule.Matches(Event("sourceIPAddress", ip)));
    }

    [Theory]
    [InlineData("2001:db8::1", true)]
    [InlineData("2001:DB8:ffff::7", true)]
    [InlineData("2001:db9::1", false)]
    [InlineData("10.0.0.1", false)]
    public void Ipv6_network_contains_its_addresses(string ip, bool expected)
    {
        var rule = Rule("sel:\n  sourceIPAddress|cidr: '2001:db8::/32'\ncondition: sel");
        Assert.Equal(expected, rule.Matches(Event("sourceIPAddress", ip)));
    }

    [Fact]
    public void A_list_of_networks_is_or()
    {
        var rule = Rule("sel:\n  sourceIPAddress|cidr:\n    - 10.0.0.0/8\n    - 192.168.0.0/16\n    - 'fd00::/8'\ncondition: sel");
        Assert.True(rule.Matches(Event("sourceIPAddress", "192.168.4.4")));
        Assert.True(rule.Matches(Event("sourceIPAddress", "fd12::1")));
        Assert.False(rule.Matches(Event("sourceIPAddress", "172.16.0.1")));
    }

    [Theory]
    [InlineData("AWS Internal")]
    [InlineData("ec2.amazonaws.com")]
    [InlineData("")]
    public void A_value_that_is_not_an_address_does_not_match(string value)
    {
        var rule = Rule("sel:\n  sourceIPAddress|cidr: 0.0.0.0/0\ncondition: sel");
        Assert.False(rule.Matches(Event("sourceIPAddress", value)));
    }

    [Fact]
    public void Not_cidr_is_written_in_the_condition_and_keeps_non_addresses()
    {
        var rule = Rule("sel:\n  eventName: ConsoleLogin\ninternal:\n  sourceIPAddress|cidr: 10.0.0.0/8\ncondition: sel and not internal");
        Assert.True(rule.Matches("""{"eventName": "ConsoleLogin", "sourceIPAddress": "203.0.113.9"}"""));
        Assert.True(rule.Matches("""{"eventName": "ConsoleLogin", "sourceIPAddress": "AWS Internal"}"""));
        Assert.False(rule.Matches("""{"eventName": "ConsoleLogin", "sourceIPAddress": "10.2.3.4"}"""));
    }

    [Theory]
    [InlineData("10.1.2.3/8")]
    [InlineData("'2001:db8::1/32'")]
    [InlineData("not-an-ip")]
    [InlineData("10.0.0.0/33")]
    public void A_network_with_host_bits_set_or_that_does_not_parse_is_reported_at_the_value(string value)
    {
        var load = LoadDetection($"sel:\n  sourceIPAddress|cidr: {value}\ncondition: sel");
        Assert.Empty(load.Rules);
        Assert.Equal(At(FirstDetectionLine + 1, 27), Single(load, DiagnosticCodes.BadCidr).Span);
    }
}
