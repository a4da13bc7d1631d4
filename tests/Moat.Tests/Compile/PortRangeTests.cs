using Moat.Tests.Rules;
using static Moat.Tests.Rules.RuleFixture;

namespace Moat.Tests.Compile;

/// <summary>port_range: does a protocol/from/to triple open any of the listed ports?</summary>
public sealed class PortRangeTests
{
    private static readonly Moat.Compile.CompiledRule Db = Rule("port_range: { protocol: p, from: f, to: t, covers_any: [3306, 5432] }");

    private static bool Opens(string fields) => Db.Matches("{" + fields + "}");

    [Theory]
    [InlineData("\"p\": \"-1\"")]
    [InlineData("\"p\": -1")]
    [InlineData("\"p\": \"all\"")]
    [InlineData("\"p\": \"ALL\"")]
    [InlineData("\"p\": \"-1\", \"f\": 80, \"t\": 80")]
    public void Protocol_minus_one_or_all_opens_every_port_whatever_the_range(string fields) => Assert.True(Opens(fields));

    [Theory]
    [InlineData("\"p\": \"icmp\", \"f\": -1, \"t\": -1")]
    [InlineData("\"p\": \"ICMP\", \"f\": 0, \"t\": 65535")]
    [InlineData("\"p\": \"icmpv6\", \"f\": -1, \"t\": -1")]
    [InlineData("\"p\": \"1\", \"f\": 3306, \"t\": 5432")]
    [InlineData("\"p\": 58")]
    [InlineData("\"p\": \"icmp\"")]
    public void Icmp_never_opens_a_port(string fields) => Assert.False(Opens(fields));

    [Theory]
    [InlineData(5432, 5432, true)]
    [InlineData(5400, 5432, true)]
    [InlineData(5432, 5500, true)]
    [InlineData(3306, 3306, true)]
    [InlineData(0, 65535, true)]
    [InlineData(5433, 6000, false)]
    [InlineData(3307, 5431, false)]
    [InlineData(22, 22, false)]
    public void Ranges_include_both_ends(int from, int to, bool expected) =>
        Assert.Equal(expected, Opens($"\"p\": \"tcp\", \"f\": {from}, \"t\": {to}"));

    [Fact]
    public void Ports_written_as_strings_are_numbers()
    {
        Assert.True(Opens("\"p\": \"tcp\", \"f\": \"5000\", \"t\": \"6000\""));
        Assert.False(Opens("\"p\": \"tcp\", \"f\": \"6000\", \"t\": \"7000\""));
    }

    [Theory]
    [InlineData("\"p\": \"tcp\"")]
    [InlineData("\"p\": \"udp\"")]
    [InlineData("\"p\": \"6\"")]
    [InlineData("\"p\": \"tcp\", \"f\": null, \"t\": null")]
    public void A_port_protocol_with_no_range_opens_every_port(string fields) => Assert.True(Opens(fields));

    [Theory]
    [InlineData("\"p\": \"tcp\", \"f\": -1, \"t\": -1")]
    [InlineData("\"p\": \"tcp\", \"f\": 0, \"t\": -1")]
    public void A_port_of_minus_one_means_every_port(string fields) => Assert.True(Opens(fields));

    [Fact]
    public void One_end_alone_is_a_single_port()
    {
        Assert.True(Opens("\"p\": \"tcp\", \"f\": 5432"));
        Assert.True(Opens("\"p\": \"tcp\", \"t\": 3306"));
        Assert.False(Opens("\"p\": \"tcp\", \"f\": 5431"));
    }

    [Fact]
    public void No_protocol_and_no_range_opens_nothing()
    {
        Assert.False(Opens(""));
    }

    [Fact]
    public void A_reversed_range_opens_nothing()
    {
        Assert.False(Opens("\"p\": \"tcp\", \"f\": 6000, \"t\": 5000"));
    }

    [Fact]
    public void Port_range_reads_the_fields_of_each_item()
    {
        var rule = Rule("""
            any_item:
              path: perms
              where:
                port_range: { protocol: ipProtocol, from: fromPort, to: toPort, covers_any: [22] }
            """);
        Assert.True(rule.Matches("""{"perms": [{"ipProtocol": "tcp", "fromPort": 80, "toPort": 80}, {"ipProtocol": "tcp", "fromPort": 20, "toPort": 23}]}"""));
        Assert.False(rule.Matches("""{"perms": [{"ipProtocol": "tcp", "fromPort": 80, "toPort": 80}, {"ipProtocol": "icmp", "fromPort": -1, "toPort": -1}]}"""));
    }

    [Fact]
    public void Port_range_fields_may_be_nested_paths()
    {
        var rule = Rule("port_range: { protocol: r.IpProtocol, from: r.FromPort, to: r.ToPort, covers_any: [1433] }");
        Assert.True(rule.Matches("""{"r": {"IpProtocol": "tcp", "FromPort": 1433, "ToPort": 1433}}"""));
        Assert.False(rule.Matches("""{"r": {"IpProtocol": "tcp", "FromPort": 1434, "ToPort": 1434}}"""));
    }
}
