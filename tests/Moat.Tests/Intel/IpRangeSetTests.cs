using Moat.Compile;
using Moat.Intel;

namespace Moat.Tests.Intel;

public sealed class IpRangeSetTests
{
    private static IpRangeSet Build(params (string List, string Entry)[] entries)
    {
        var builder = new IpRangeSetBuilder();
        foreach (var (list, entry) in entries)
        {
            Assert.True(ThreatListLoader.TryParseEntry(entry, out bool v6, out var first, out var last, out _), entry);
            builder.Add(builder.AddList(list), v6, first, last);
        }
        return builder.Build();
    }

    [Fact]
    public void Finds_addresses_at_the_boundaries_of_a_block_and_not_beside_it()
    {
        var set = Build(("a", "198.51.100.0/24"));
        Assert.True(set.Contains("198.51.100.0"));
        Assert.True(set.Contains("198.51.100.255"));
        Assert.True(set.Contains("198.51.100.77"));
        Assert.False(set.Contains("198.51.99.255"));
        Assert.False(set.Contains("198.51.101.0"));
    }

    [Fact]
    public void A_bare_address_is_a_single_host()
    {
        var set = Build(("a", "203.0.113.7"), ("a", "2001:db8::7"));
        Assert.True(set.Contains("203.0.113.7"));
        Assert.False(set.Contains("203.0.113.6"));
        Assert.False(set.Contains("203.0.113.8"));
        Assert.True(set.Contains("2001:db8::7"));
        Assert.False(set.Contains("2001:db8::6"));
        Assert.False(set.Contains("2001:db8::8"));
    }

    [Fact]
    public void Keeps_IPv4_and_IPv6_apart()
    {
        // ::cb00:7107 has the same low 32 bits as 203.0.113.7 but is another address.
        var set = Build(("a", "203.0.113.7"), ("a", "2001:db8::/32"));
        Assert.False(set.Contains("::cb00:7107"));
        Assert.False(set.Contains("32.1.13.184")); // 0x20010db8, the IPv6 block's top bits as IPv4
        Assert.True(set.Contains("2001:db8:ffff:ffff:ffff:ffff:ffff:ffff"));
        Assert.False(set.Contains("2001:db9::"));
    }

    [Fact]
    public void Matches_IPv4_mapped_callers_against_IPv4_entries()
    {
        var set = Build(("a", "203.0.113.7"), ("a", "::ffff:198.51.100.0/120"));
        Assert.True(set.Contains("::ffff:203.0.113.7"));
        Assert.True(set.Contains("198.51.100.200"));
    }

    [Fact]
    public void Merges_overlapping_and_adjacent_entries_of_one_list()
    {
        var set = Build(("a", "192.0.2.0/25"), ("a", "192.0.2.128/25"), ("a", "192.0.2.10"), ("a", "192.0.2.0/24"), ("a", "192.0.3.0-192.0.3.9"));
        Assert.Equal(1, set.RangeCount);
        Assert.True(set.Contains("192.0.3.9"));
        Assert.False(set.Contains("192.0.3.10"));
    }

    [Fact]
    public void Overlapping_entries_from_two_lists_answer_with_both_names_only_where_they_overlap()
    {
        var set = Build(("firehol", "198.51.100.0/24"), ("tor-exit", "198.51.100.128/25"), ("tor-exit", "198.51.101.1"));
        Assert.Equal(["firehol"], set.ListsContaining("198.51.100.127"));
        Assert.Equal(["firehol", "tor-exit"], set.ListsContaining("198.51.100.128"));
        Assert.Equal(["firehol", "tor-exit"], set.ListsContaining("198.51.100.255"));
        Assert.Equal(["tor-exit"], set.ListsContaining("198.51.101.1"));
        Assert.Empty(set.ListsContaining("198.51.101.2"));
        Assert.Equal(["firehol", "tor-exit"], set.ListNames);
    }

    [Fact]
    public void Names_come_in_the_order_the_lists_were_added()
    {
        var set = Build(("b", "203.0.113.0/24"), ("a", "203.0.113.5"));
        Assert.Equal(["b", "a"], set.ListsContaining("203.0.113.5"));
    }

    [Fact]
    public void A_range_nested_inside_another_lists_range_splits_it_in_three()
    {
        var set = Build(("outer", "203.0.113.0/24"), ("inner", "203.0.113.16/28"));
        Assert.Equal(3, set.RangeCount);
        Assert.Equal(["outer"], set.ListsContaining("203.0.113.15"));
        Assert.Equal(["outer", "inner"], set.ListsContaining("203.0.113.16"));
        Assert.Equal(["outer", "inner"], set.ListsContaining("203.0.113.31"));
        Assert.Equal(["outer"], set.ListsContaining("203.0.113.32"));
    }

    [Fact]
    public void Ranges_ending_at_the_last_address_of_a_family_are_found()
    {
        var set = Build(("a", "255.255.255.0/24"), ("b", "255.255.255.255"), ("a", "ffff::/16"), ("a", "0.0.0.0"), ("a", "::"));
        Assert.Equal(["a", "b"], set.ListsContaining("255.255.255.255"));
        Assert.True(set.Contains("ffff:ffff:ffff:ffff:ffff:ffff:ffff:ffff"));
        Assert.True(set.Contains("0.0.0.0"));
        Assert.True(set.Contains("::"));
        Assert.False(set.Contains("0.0.0.1"));
    }

    [Fact]
    public void An_empty_set_contains_nothing()
    {
        Assert.False(IpRangeSet.Empty.Contains("203.0.113.1"));
        Assert.False(IpRangeSet.Empty.Contains("2001:db8::1"));
        Assert.Empty(IpRangeSet.Empty.ListsContaining("203.0.113.1"));
    }

    [Fact]
    public void Text_that_is_not_an_address_is_not_contained()
    {
        var set = Build(("a", "0.0.0.0/0"));
        Assert.False(set.Contains("[local]"));
        Assert.Empty(set.ListsContaining("not-an-ip"));
    }

    [Fact]
    public void Lookups_do_not_allocate()
    {
        var set = Build(("a", "203.0.113.0/24"), ("b", "2001:db8::/32"));
        var ip = IpAddr.Parse("203.0.113.9");
        set.Contains("203.0.113.9"); // warm up
        set.ListsContaining("2001:db8::1");
        long before = GC.GetAllocatedBytesForCurrentThread();
        bool all = true;
        for (int i = 0; i < 1000; i++)
        {
            all &= set.Contains("203.0.113.9");
            all &= set.Contains(ip);
            all &= set.ListsContaining("2001:db8::1").Count == 1;
        }
        Assert.Equal(0, GC.GetAllocatedBytesForCurrentThread() - before);
        Assert.True(all);
    }

    [Fact]
    public void Many_random_overlapping_ranges_from_three_lists_answer_like_a_linear_scan()
    {
        var random = new Random(7);
        var builder = new IpRangeSetBuilder();
        int[] lists = [builder.AddList("x"), builder.AddList("y"), builder.AddList("z")];
        var ranges = new List<(uint First, uint Last, int List)>();
        for (int i = 0; i < 20_000; i++)
        {
            // A narrow window of the address space, so ranges overlap and touch often.
            uint first = 0xC0000000u + (uint)random.Next(0, 1 << 20);
            uint last = first + (uint)random.Next(0, 300);
            int list = lists[random.Next(3)];
            ranges.Add((first, last, list));
            builder.Add(list, false, first, last);
        }
        var set = builder.Build();
        string[] names = ["x", "y", "z"];
        for (int q = 0; q < 3000; q++)
        {
            uint probe = 0xC0000000u + (uint)random.Next(-10, (1 << 20) + 400);
            var found = new bool[3];
            foreach (var r in ranges) if (r.First <= probe && probe <= r.Last) found[r.List] = true;
            var expected = names.Where((_, l) => found[l]).ToArray();
            Assert.Equal(expected, set.ListsContaining(IpAddr.V4(probe)));
        }
    }

    [Fact]
    public void Rejects_a_range_that_ends_before_it_starts()
    {
        var builder = new IpRangeSetBuilder();
        int list = builder.AddList("a");
        Assert.Throws<ArgumentException>(() => builder.Add(list, false, 5, 4));
        Assert.Throws<ArgumentOutOfRangeException>(() => builder.Add(list + 1, false, 4, 5));
    }

    [Fact]
    public void Builder_entries_from_Cidr_and_addresses_mix()
    {
        var builder = new IpRangeSetBuilder();
        int list = builder.AddList("a");
        Assert.True(Cidr.TryParse("2001:db8::/48", out var cidr));
        builder.Add(list, cidr);
        builder.Add(list, IpAddr.Parse("198.51.100.1"));
        var set = builder.Build();
        Assert.True(set.Contains("2001:db8:0:ffff::1"));
        Assert.True(set.Contains("198.51.100.1"));
        Assert.Equal(2, set.RangeCount);
    }
}
