using Moat.Tests.Rules;
using static Moat.Tests.Rules.RuleFixture;

namespace Moat.Tests.Compile;

/// <summary>covers_all_addresses: the field's blocks together are all of IPv4 or all of IPv6.</summary>
public sealed class CoversAllAddressesTests
{
    private static readonly Moat.Compile.CompiledRule World = Rule("ranges.cidr: { covers_all_addresses: true }");

    private static bool Covers(params string[] blocks) =>
        World.Matches("""{"ranges": [""" + string.Join(", ", blocks.Select(b => "{\"cidr\": \"" + b + "\"}")) + "]}");

    [Theory]
    [InlineData("0.0.0.0/0")]
    [InlineData("::/0")]
    [InlineData("208.236.235.254/0")]
    [InlineData("2001:db8::1/0")]
    public void A_single_zero_prefix_block_is_everything(string block) => Assert.True(Covers(block));

    [Fact]
    public void Two_halves_are_everything()
    {
        Assert.True(Covers("0.0.0.0/1", "128.0.0.0/1"));
        Assert.True(Covers("128.0.0.0/1", "0.0.0.0/1"));
        Assert.True(Covers("::/1", "8000::/1"));
    }

    [Fact]
    public void Three_pieces_are_everything()
    {
        Assert.True(Covers("0.0.0.0/1", "128.0.0.0/2", "192.0.0.0/2"));
        Assert.True(Covers("192.0.0.0/2", "0.0.0.0/1", "128.0.0.0/2"));
    }

    [Fact]
    public void Overlapping_pieces_are_everything()
    {
        Assert.True(Covers("0.0.0.0/1", "64.0.0.0/2", "100.0.0.0/8", "128.0.0.0/1"));
        Assert.True(Covers("0.0.0.0/0", "10.0.0.0/8"));
    }

    [Fact]
    public void A_gap_is_not_everything()
    {
        Assert.False(Covers("0.0.0.0/1", "128.0.0.0/2"));
        Assert.False(Covers("0.0.0.0/1", "192.0.0.0/2"));
        Assert.False(Covers("0.0.0.0/1"));
        Assert.False(Covers("1.0.0.0/8", "0.0.0.0/1"));
        Assert.False(Covers("0.0.0.0/1", "128.0.0.0/2", "192.0.0.0/3", "240.0.0.0/4"));
    }

    [Fact]
    public void The_last_address_must_be_covered_too()
    {
        Assert.False(Covers("0.0.0.0/1", "128.0.0.0/2", "192.0.0.0/3", "224.0.0.0/4", "240.0.0.0/5", "248.0.0.0/6", "252.0.0.0/7", "254.0.0.0/8", "255.0.0.0/9"));
        Assert.False(Covers("0.0.0.0/1", "128.0.0.0/2", "192.0.0.0/3", "224.0.0.0/4", "240.0.0.0/5", "248.0.0.0/6", "252.0.0.0/7", "254.0.0.0/8", "255.0.0.0/9", "255.128.0.0/10"));
    }

    [Fact]
    public void Halves_of_different_families_are_not_everything()
    {
        Assert.False(Covers("0.0.0.0/1", "8000::/1"));
    }

    [Theory]
    [InlineData("0/0")]
    [InlineData("0/1", "128/1")]
    public void Shorthand_blocks_are_not_read_as_addresses(params string[] blocks) => Assert.False(Covers(blocks));

    [Fact]
    public void Private_and_single_host_blocks_are_not_everything()
    {
        Assert.False(Covers("10.0.0.0/8"));
        Assert.False(Covers("203.0.113.7/32"));
        Assert.False(Covers("::1/128"));
    }

    [Fact]
    public void Values_that_are_not_blocks_are_ignored()
    {
        Assert.True(Covers("pl-0123", "0.0.0.0/0"));
        Assert.False(Covers("pl-0123"));
        Assert.False(World.Matches("""{}"""));
        Assert.False(World.Matches("""{"ranges": []}"""));
    }

    [Fact]
    public void Alternative_paths_pool_their_blocks()
    {
        var rule = Rule("a|b: { covers_all_addresses: true }");
        Assert.True(rule.Matches("""{"a": "0.0.0.0/1", "b": "128.0.0.0/1"}"""));
    }

    [Fact]
    public void Covers_all_addresses_false_matches_a_narrower_block_or_none()
    {
        var rule = Rule("cidr: { covers_all_addresses: false }");
        Assert.True(rule.Matches("""{"cidr": "10.0.0.0/8"}"""));
        Assert.True(rule.Matches("""{}"""));
        Assert.False(rule.Matches("""{"cidr": "0.0.0.0/0"}"""));
    }

    [Fact]
    public void Blocks_of_different_items_are_not_pooled_inside_any_item()
    {
        var rule = Rule("any_item: { path: perms, where: { ranges.cidr: { covers_all_addresses: true } } }");
        Assert.False(rule.Matches("""{"perms": [{"ranges": [{"cidr": "0.0.0.0/1"}]}, {"ranges": [{"cidr": "128.0.0.0/1"}]}]}"""));
        Assert.True(rule.Matches("""{"perms": [{"ranges": [{"cidr": "0.0.0.0/1"}, {"cidr": "128.0.0.0/1"}]}]}"""));
    }
}
