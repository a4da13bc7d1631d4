using System.Net;
using Moat.Intel;

namespace Moat.Tests.Intel;

public sealed class IpAddrTests
{
    [Theory]
    [InlineData("0.0.0.0")]
    [InlineData("203.0.113.7")]
    [InlineData("255.255.255.255")]
    [InlineData("::")]
    [InlineData("::1")]
    [InlineData("1::")]
    [InlineData("2001:db8::1")]
    [InlineData("2001:DB8:0:0:0:0:0:1")]
    [InlineData("2001:db8:1:2:3:4:5:6")]
    [InlineData("fe80::1:2")]
    [InlineData("1:2:3:4:5:6:7::")]
    [InlineData("::2:3:4:5:6:7:8")]
    [InlineData("64:ff9b::192.0.2.33")]
    [InlineData("ffff:ffff:ffff:ffff:ffff:ffff:ffff:ffff")]
    public void Parses_addresses_as_IPAddress_does(string text)
    {
        Assert.True(IpAddr.TryParse(text, out var ip));
        var expected = IPAddress.Parse(text);
        Assert.Equal(expected.AddressFamily == System.Net.Sockets.AddressFamily.InterNetworkV6, ip.V6);
        Assert.Equal(expected.ToString(), ip.ToString());
    }

    [Theory]
    [InlineData("")]
    [InlineData("   ")]
    [InlineData("1.2.3")]
    [InlineData("1.2.3.4.5")]
    [InlineData("1.2.3.256")]
    [InlineData("01.2.3.4")]
    [InlineData("1.2.3.4/32")]
    [InlineData("10")]
    [InlineData("1.2.3.")]
    [InlineData("[local]")]
    [InlineData("1:2:3:4:5:6:7:8:9")]
    [InlineData("1:2:3:4:5:6:7")]
    [InlineData("1::2::3")]
    [InlineData(":1::")]
    [InlineData("1::2:")]
    [InlineData("12345::")]
    [InlineData("g::")]
    [InlineData("::1.2.3")]
    [InlineData("1:2:3:4:5:6:7:1.2.3.4")]
    public void Rejects_what_is_not_an_address(string text)
    {
        Assert.False(IpAddr.TryParse(text, out _));
    }

    [Fact]
    public void Turns_IPv4_mapped_IPv6_into_IPv4()
    {
        Assert.True(IpAddr.TryParse("::ffff:203.0.113.7", out var mapped));
        Assert.Equal(IpAddr.Parse("203.0.113.7"), mapped);
        Assert.False(mapped.V6);
        Assert.Equal(IpAddr.Parse("203.0.113.7"), IpAddr.Parse("::ffff:cb00:7107"));
    }

    [Fact]
    public void Ignores_surrounding_whitespace_and_an_IPv6_zone()
    {
        Assert.Equal(IpAddr.Parse("203.0.113.7"), IpAddr.Parse(" 203.0.113.7\t"));
        Assert.Equal(IpAddr.Parse("fe80::1"), IpAddr.Parse("fe80::1%eth0"));
    }

    [Fact]
    public void Numbers_addresses_as_Cidr_does()
    {
        Assert.True(Moat.Compile.Cidr.TryParse("2001:db8::/32", out var c));
        Assert.Equal(c.First, IpAddr.Parse("2001:db8::").Value);
        Assert.Equal(0xCB007107u, (uint)IpAddr.Parse("203.0.113.7").Value);
    }
}
