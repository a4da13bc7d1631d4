using Moat.Intel;

namespace Moat.Tests.Intel;

public sealed class IpClassTests
{
    [Theory]
    [InlineData("10.0.0.1")]
    [InlineData("10.255.255.255")]
    [InlineData("172.16.0.0")]
    [InlineData("172.31.255.255")]
    [InlineData("192.168.1.20")]
    [InlineData("127.0.0.1")]
    [InlineData("169.254.169.254")]
    [InlineData("100.64.0.1")]
    [InlineData("100.127.255.255")]
    [InlineData("0.0.0.0")]
    [InlineData("224.0.0.251")]
    [InlineData("255.255.255.255")]
    [InlineData("::")]
    [InlineData("::1")]
    [InlineData("fd12:3456::1")]
    [InlineData("fc00::1")]
    [InlineData("fe80::1")]
    [InlineData("ff02::1")]
    [InlineData("::ffff:10.1.2.3")]
    public void Private_and_reserved_addresses_are_private(string ip)
    {
        Assert.True(IpClass.IsPrivate(ip));
        Assert.False(IpClass.IsPublic(ip));
    }

    [Theory]
    [InlineData("8.8.8.8")]
    [InlineData("9.255.255.255")]
    [InlineData("11.0.0.0")]
    [InlineData("172.15.255.255")]
    [InlineData("172.32.0.0")]
    [InlineData("100.63.255.255")]
    [InlineData("100.128.0.0")]
    [InlineData("192.169.0.0")]
    [InlineData("2606:4700::1111")]
    // Documentation ranges stand in for internet callers in tests and examples, so they count as public.
    [InlineData("192.0.2.10")]
    [InlineData("198.51.100.23")]
    [InlineData("203.0.113.9")]
    [InlineData("2001:db8::5")]
    public void Public_and_documentation_addresses_are_public(string ip)
    {
        Assert.True(IpClass.IsPublic(ip));
        Assert.False(IpClass.IsPrivate(ip));
    }

    [Theory]
    [InlineData("[local]")]
    [InlineData("db.internal")]
    [InlineData("")]
    public void Text_that_is_not_an_address_is_neither(string text)
    {
        Assert.False(IpClass.IsPrivate(text));
        Assert.False(IpClass.IsPublic(text));
    }

    [Fact]
    public void Names_why_an_address_is_not_public()
    {
        Assert.Equal("private (RFC 1918)", IpClass.NonPublicReason(IpAddr.Parse("192.168.0.1")));
        Assert.Equal("carrier-grade NAT (100.64.0.0/10)", IpClass.NonPublicReason(IpAddr.Parse("100.64.1.1")));
        Assert.Null(IpClass.NonPublicReason(IpAddr.Parse("203.0.113.1")));
    }

    [Fact]
    public void Carving_keeps_the_public_parts_around_reserved_blocks()
    {
        // 96.0.0.0/4 is 96.0.0.0-111.255.255.255 and holds 100.64.0.0/10.
        var parts = new List<(UInt128 First, UInt128 Last)>();
        var reason = IpClass.Carve(false, IpAddr.Parse("96.0.0.0").Value, IpAddr.Parse("111.255.255.255").Value, parts);
        Assert.Equal("carrier-grade NAT (100.64.0.0/10)", reason);
        Assert.Equal(
            [(IpAddr.Parse("96.0.0.0").Value, IpAddr.Parse("100.63.255.255").Value), (IpAddr.Parse("100.128.0.0").Value, IpAddr.Parse("111.255.255.255").Value)],
            parts);
    }

    [Fact]
    public void Carving_a_range_inside_reserved_space_leaves_nothing()
    {
        var parts = new List<(UInt128 First, UInt128 Last)>();
        Assert.Equal("private (RFC 1918)", IpClass.Carve(false, IpAddr.Parse("10.1.0.0").Value, IpAddr.Parse("10.1.255.255").Value, parts));
        Assert.Empty(parts);
        // 224.0.0.0/3 is multicast and 240.0.0.0/4 together, up to the last IPv4 address.
        Assert.Equal("multicast", IpClass.Carve(false, IpAddr.Parse("224.0.0.0").Value, uint.MaxValue, parts));
        Assert.Empty(parts);
    }

    [Fact]
    public void Carving_a_public_range_changes_nothing()
    {
        var parts = new List<(UInt128 First, UInt128 Last)>();
        Assert.Null(IpClass.Carve(false, IpAddr.Parse("198.51.100.0").Value, IpAddr.Parse("198.51.100.255").Value, parts));
        Assert.Empty(parts);
    }
}
