using System.Diagnostics;
using System.Text;
using Moat.Intel;
using Moat.Tests.Read;
using Xunit.Abstractions;
using static Moat.Tests.Intel.IntelFiles;

namespace Moat.Tests.Intel;

/// <summary>
/// Real lists are large (FireHOL level4, abuse feeds: hundreds of thousands of lines; iptoasn: ~500k rows per
/// family). These load files of that size and check lookups against a simple reference. They assert no time;
/// the load time is written to the test output.
/// </summary>
public sealed class IntelScaleTests(ITestOutputHelper output) : IDisposable
{
    private readonly TempDir _dir = new();

    public void Dispose() => _dir.Dispose();

    private static uint PublicV4(Random random)
    {
        while (true)
        {
            uint v = (uint)random.NextInt64(0, 1L << 32);
            if (IpClass.IsPublic(IpAddr.V4(v))) return v;
        }
    }

    private static string V4(uint v) => $"{v >> 24}.{(v >> 16) & 0xFF}.{(v >> 8) & 0xFF}.{v & 0xFF}";

    [Fact]
    public void Loads_a_million_entry_threat_list_and_answers_like_a_reference()
    {
        var random = new Random(2024);
        var hosts = new HashSet<uint>();
        var nets = new HashSet<uint>();      // /24 prefixes (address >> 8)
        var v6Nets = new HashSet<ulong>();   // /48 prefixes of 2001:db8::/32-like public space (address >> 80)
        var text = new StringBuilder(20_000_000);
        text.Append("# Name: big\n");
        for (int i = 0; i < 1_000_000; i++)
        {
            int kind = random.Next(100);
            if (kind < 88)
            {
                uint host = PublicV4(random);
                hosts.Add(host);
                text.Append(V4(host)).Append('\n');
            }
            else if (kind < 98)
            {
                uint net = PublicV4(random) >> 8;
                nets.Add(net);
                text.Append(V4(net << 8)).Append("/24\n");
            }
            else
            {
                ulong net = 0x2a00_0000_0000UL | (ulong)random.NextInt64(0, 1L << 40);
                v6Nets.Add(net);
                text.Append($"{net >> 32:x}:{(net >> 16) & 0xFFFF:x}:{net & 0xFFFF:x}::/48\n");
            }
        }
        var file = Text(_dir, "big.txt", text.ToString());

        var clock = Stopwatch.StartNew();
        var lists = ThreatListLoader.Load([file]);
        clock.Stop();
        output.WriteLine($"1,000,000-entry threat list: loaded and built in {clock.ElapsedMilliseconds} ms ({lists.Set.RangeCount} ranges after merging)");

        Assert.Empty(lists.Errors);
        Assert.Equal(1_000_000, lists.Files[0].Entries);
        var set = lists.Set;

        // Every kind of entry is found at its edges.
        foreach (uint host in hosts.Take(5000))
        {
            Assert.True(set.Contains(IpAddr.V4(host)));
            Assert.Equal(["big"], set.ListsContaining(IpAddr.V4(host)));
        }
        foreach (uint net in nets.Take(5000))
        {
            Assert.True(set.Contains(IpAddr.V4(net << 8)));
            Assert.True(set.Contains(IpAddr.V4((net << 8) | 0xFF)));
        }
        foreach (ulong net in v6Nets.Take(2000))
        {
            UInt128 first = (UInt128)net << 80;
            Assert.True(set.Contains(new IpAddr(true, first)));
            Assert.True(set.Contains(new IpAddr(true, first | (((UInt128)1 << 80) - 1))));
            Assert.False(set.Contains(new IpAddr(true, first - 1)) && !v6Nets.Contains(net - 1));
        }
        // Random addresses answer as the reference does.
        for (int q = 0; q < 200_000; q++)
        {
            uint probe = (uint)random.NextInt64(0, 1L << 32);
            bool expected = hosts.Contains(probe) || nets.Contains(probe >> 8);
            Assert.Equal(expected, set.Contains(IpAddr.V4(probe)));
        }
    }

    [Fact]
    public void Builds_a_million_random_ranges_without_parsing()
    {
        var random = new Random(99);
        var builder = new IpRangeSetBuilder();
        int a = builder.AddList("a"), b = builder.AddList("b");
        for (int i = 0; i < 1_000_000; i++)
        {
            uint first = (uint)random.NextInt64(0, 1L << 32);
            uint last = first + (uint)Math.Min(random.Next(0, 256), (long)uint.MaxValue - first);
            builder.Add(i % 2 == 0 ? a : b, false, first, last);
        }
        var clock = Stopwatch.StartNew();
        var set = builder.Build();
        clock.Stop();
        output.WriteLine($"1,000,000 ranges from two lists: built in {clock.ElapsedMilliseconds} ms ({set.RangeCount} pieces)");
        Assert.InRange(set.RangeCount, 1, 2_000_000);

        var probes = new IpAddr[1_000_000];
        for (int i = 0; i < probes.Length; i++) probes[i] = IpAddr.V4((uint)random.NextInt64(0, 1L << 32));
        clock.Restart();
        int hits = 0;
        foreach (var p in probes) if (set.Contains(p)) hits++;
        clock.Stop();
        output.WriteLine($"1,000,000 lookups: {clock.ElapsedMilliseconds} ms, {hits} hits");
        Assert.InRange(hits, 1, probes.Length - 1);
    }

    [Fact]
    public void Loads_half_a_million_iptoasn_rows()
    {
        var random = new Random(5);
        var text = new StringBuilder(30_000_000);
        uint at = 0x01000000;
        var samples = new List<(uint Address, uint Asn)>();
        for (int i = 0; i < 500_000; i++)
        {
            uint size = (uint)random.Next(1, 8192);
            uint first = at, last = at + size - 1;
            at = last + 1 + (uint)random.Next(0, 2) * 256;
            bool routed = random.Next(10) > 0;
            uint asn = routed ? (uint)random.Next(1, 80_000) : 0;
            text.Append(V4(first)).Append('\t').Append(V4(last)).Append('\t').Append(asn).Append('\t')
                .Append(routed ? "US" : "None").Append('\t').Append(routed ? $"AS{asn}-NET - Example {asn}" : "Not routed").Append('\n');
            if (i % 97 == 0) samples.Add((first + size / 2, asn));
        }
        var file = Gzip(_dir, "ip2asn-v4.tsv.gz", text.ToString());

        var clock = Stopwatch.StartNew();
        var db = AsnDatabase.Load(file);
        clock.Stop();
        output.WriteLine($"500,000-row iptoasn file (gzip): loaded in {clock.ElapsedMilliseconds} ms ({db.RangeCount} ranges, {db.AsnCount} distinct AS records, {db.NotRouted} not routed)");

        Assert.Empty(db.Errors);
        foreach (var (address, asn) in samples)
        {
            var info = db.Lookup(IpAddr.V4(address));
            if (asn == 0) Assert.Null(info);
            else Assert.Equal(asn, info?.Number);
        }
    }
}
