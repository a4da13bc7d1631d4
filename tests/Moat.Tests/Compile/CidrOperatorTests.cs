using Moat.Tests.Rules;
using static Moat.Tests.Rules.RuleFixture;

namespace Moat.Tests.Compile;

/// <summary>cidr: an address or a block lies inside one of the listed networks.</summary>
public sealed class CidrOperatorTests
{
    [Theory]
    [InlineData("10.0.0.0", true)]
    [InlineData("10.255.255.255", true)]
    [InlineData("10.1.2.3", true)]
    [InlineData("11.0.0.0", false)]
    [InlineData("9.255.255.255", false)]
    [InlineData("192.168.1.1", false)]
    public void Matches_addresses_inside_the_block(string ip, bool expected)
    {
        var rule = Rule("sourceIPAddress: { cidr: 10.0.0.0/8 }");
        Assert.Equal(expected, rule.Matches("""{"sourceIPAddress": """ + "\"" + ip + "\"}"));
    }

    [Theory]
    [InlineData("10.1.0.0/16", true)]
    [InlineData("10.0.0.0/8", true)]
    [InlineData("10.1.2.3/32", true)]
    [InlineData("10.0.0.0/7", false)]
    [InlineData("0.0.0.0/0", false)]
    [InlineData("11.0.0.0/16", false)]
    public void Matches_blocks_that_lie_wholly_inside(string block, bool expected)
    {
        var rule = Rule("cidrIp: { cidr: 10.0.0.0/8 }");
        Assert.Equal(expected, rule.Matches("""{"cidrIp": """ + "\"" + block + "\"}"));
    }

    [Fact]
    public void Host_bits_of_the_rule_block_are_masked()
    {
        var rule = Rule("ip: { cidr: 10.1.2.3/8 }");
        Assert.True(rule.Matches("""{"ip": "10.200.0.1"}"""));
    }

    [Fact]
    public void A_plain_address_in_the_rule_is_a_single_host()
    {
        var rule = Rule("ip: { cidr: 203.0.113.7 }");
        Assert.True(rule.Matches("""{"ip": "203.0.113.7"}"""));
        Assert.False(rule.Matches("""{"ip": "203.0.113.8"}"""));
    }

    [Fact]
    public void A_list_of_blocks_matches_when_any_contains_the_value()
    {
        var rule = Rule("ip: { cidr: [10.0.0.0/8, 172.16.0.0/12, 192.168.0.0/16] }");
        Assert.True(rule.Matches("""{"ip": "172.31.255.1"}"""));
        Assert.True(rule.Matches("""{"ip": "192.168.0.1"}"""));
        Assert.False(rule.Matches("""{"ip": "172.32.0.1"}"""));
    }

    [Fact]
    public void Matches_ipv6_addresses_and_blocks()
    {
        var rule = Rule("ip: { cidr: \"2001:db8::/32\" }");
        Assert.True(rule.Matches("""{"ip": "2001:db8::1"}"""));
        Assert.True(rule.Matches("""{"ip": "2001:DB8:ffff::/48"}"""));
        Assert.False(rule.Matches("""{"ip": "2001:db9::1"}"""));
        Assert.False(rule.Matches("""{"ip": "2001:db8::/31"}"""));
    }

    [Fact]
    public void Address_families_never_contain_each_other()
    {
        Assert.False(Rule("ip: { cidr: \"::/0\" }").Matches("""{"ip": "10.0.0.1"}"""));
        Assert.False(Rule("ip: { cidr: 0.0.0.0/0 }").Matches("""{"ip": "::1"}"""));
        Assert.True(Rule("ip: { cidr: 0.0.0.0/0 }").Matches("""{"ip": "10.0.0.1"}"""));
    }

    [Fact]
    public void Values_that_are_not_addresses_do_not_match_and_do_not_fail()
    {
        var rule = Rule("sourceIPAddress: { cidr: 0.0.0.0/0 }");
        Assert.False(rule.Matches("""{"sourceIPAddress": "ec2.amazonaws.com"}"""));
        Assert.False(rule.Matches("""{"sourceIPAddress": "AWS Internal"}"""));
        Assert.False(rule.Matches("""{"sourceIPAddress": null}"""));
        Assert.False(rule.Matches("""{"sourceIPAddress": "10.0.0.0/40"}"""));
        Assert.False(rule.Matches("""{}"""));
    }

    [Theory]
    [InlineData("5432")]
    [InlineData("167772161")]
    [InlineData("10.1")]
    [InlineData("012.0.0.1")]
    [InlineData("0xa.0.0.1")]
    [InlineData("10/8")]
    public void Shorthand_and_numeric_texts_in_events_are_not_addresses(string value)
    {
        // Each of these is an address to inet_aton (5432 is 0.0.21.56, 012 is octal 10), but not to AWS.
        var rule = Rule("v: { cidr: [0.0.0.0/8, 10.0.0.0/8] }");
        Assert.False(rule.Matches("""{"v": """ + "\"" + value + "\"}"));
    }

    [Fact]
    public void Zero_parts_and_the_all_zero_address_are_still_addresses()
    {
        var rule = Rule("v: { cidr: 0.0.0.0/8 }");
        Assert.True(rule.Matches("""{"v": "0.0.0.0"}"""));
        Assert.True(rule.Matches("""{"v": "0.10.0.0/16"}"""));
    }

    [Fact]
    public void Any_address_of_an_array_can_match()
    {
        var rule = Rule("ranges.cidrIp: { cidr: 10.0.0.0/8 }");
        Assert.True(rule.Matches("""{"ranges": [{"cidrIp": "0.0.0.0/0"}, {"cidrIp": "10.2.0.0/16"}]}"""));
    }

    [Fact]
    public void Not_cidr_finds_addresses_outside_private_space()
    {
        var rule = Rule("not: { ip: { cidr: [10.0.0.0/8, \"fd00::/8\"] } }");
        Assert.True(rule.Matches("""{"ip": "8.8.8.8"}"""));
        Assert.False(rule.Matches("""{"ip": "10.0.0.1"}"""));
        Assert.False(rule.Matches("""{"ip": "fd12::1"}"""));
    }
}
