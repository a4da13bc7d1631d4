using Moat.Intel;
using Moat.Tests.Read;
using static Moat.Tests.Intel.IntelFiles;

namespace Moat.Tests.Intel;

public sealed class ThreatListLoaderTests : IDisposable
{
    private readonly TempDir _dir = new();

    public void Dispose() => _dir.Dispose();

    private (IpRangeSet Set, ThreatListFile File) LoadOne(string name, string text)
    {
        var lists = ThreatListLoader.Load([Text(_dir, name, text)]);
        return (lists.Set, Assert.Single(lists.Files));
    }

    [Fact]
    public void Reads_one_entry_per_line_with_comments_and_blank_lines()
    {
        var (set, file) = LoadOne("bad.txt", """
            # GuardDuty TXT threat list

            203.0.113.7
            198.51.100.0/24   # scanners
            192.0.2.16/28; SBL0001
              2001:db8:bad::/48
            2001:db8::1#trailing
            192.0.2.100-192.0.2.110
            """);
        Assert.Empty(file.Errors);
        Assert.Empty(file.Warnings);
        Assert.Equal("bad", file.Name);
        Assert.Equal(6, file.Entries);
        Assert.True(set.Contains("203.0.113.7"));
        Assert.False(set.Contains("203.0.113.8"));
        Assert.True(set.Contains("198.51.100.255"));
        Assert.True(set.Contains("192.0.2.31"));
        Assert.False(set.Contains("192.0.2.32"));
        Assert.True(set.Contains("2001:db8:bad:ffff::1"));
        Assert.True(set.Contains("2001:db8::1"));
        Assert.False(set.Contains("2001:db8::2"));
        Assert.True(set.Contains("192.0.2.110"));
        Assert.False(set.Contains("192.0.2.111"));
        Assert.Equal(["bad"], set.ListsContaining("203.0.113.7"));
    }

    [Fact]
    public void Reads_Windows_line_endings_and_a_byte_order_mark()
    {
        var (set, file) = LoadOne("win.txt", "\uFEFF# Name: win\r\n203.0.113.7\r\n198.51.100.0/24\r\n");
        Assert.Empty(file.Errors);
        Assert.Equal("win", file.Name);
        Assert.True(set.Contains("203.0.113.7"));
        Assert.True(set.Contains("198.51.100.1"));
    }

    [Fact]
    public void A_comma_inside_a_trailing_comment_does_not_make_a_CSV()
    {
        var (set, file) = LoadOne("plain.txt", "203.0.113.7 # ssh, postgres\n203.0.113.8\n");
        Assert.Empty(file.Errors);
        Assert.True(set.Contains("203.0.113.8"));
    }

    [Fact]
    public void Reads_a_FireHOL_netset_and_ignores_its_bogons_with_one_warning()
    {
        var (set, file) = LoadOne("firehol_level1.netset", """
            #
            # firehol_level1
            #
            # ipv4 hash:net ipset
            #
            # Maintainer      : FireHOL
            # This File Date  : Thu Jan  4 10:02:13 UTC 2024
            # Entries         : 9 subnets, 620000000 unique IPs
            #
            0.0.0.0/8
            1.10.16.0/20
            10.0.0.0/8
            100.64.0.0/10
            127.0.0.0/8
            169.254.0.0/16
            172.16.0.0/12
            192.168.0.0/16
            203.0.113.0/24
            223.254.0.0/16
            224.0.0.0/3
            """);
        Assert.Empty(file.Errors);
        Assert.Equal("firehol_level1", file.Name);
        Assert.Equal(3, file.Entries);
        var warning = Assert.Single(file.Warnings);
        Assert.Contains("ignored 8 private or reserved entries", warning.Message);
        Assert.Contains("3 private (RFC 1918)", warning.Message);
        Assert.Contains("1 carrier-grade NAT", warning.Message);
        Assert.Contains("1 multicast", warning.Message);
        Assert.False(set.Contains("10.1.2.3"));
        Assert.False(set.Contains("192.168.1.1"));
        Assert.False(set.Contains("127.0.0.1"));
        Assert.False(set.Contains("100.64.0.1"));
        Assert.False(set.Contains("239.1.1.1"));
        Assert.True(set.Contains("1.10.31.255"));
        Assert.True(set.Contains("223.254.9.9"));
    }

    [Fact]
    public void Keeps_documentation_ranges_because_tests_use_them_as_public_callers()
    {
        var (set, file) = LoadOne("doc.txt", "192.0.2.0/24\n198.51.100.0/24\n203.0.113.0/24\n2001:db8::/32\n");
        Assert.Empty(file.Warnings);
        Assert.Equal(4, file.Entries);
        Assert.True(set.Contains("198.51.100.23"));
    }

    [Fact]
    public void Ignores_private_IPv6_entries_with_a_warning()
    {
        var (set, file) = LoadOne("v6.txt", "::1\nfe80::/10\nfd00::1\nff02::1\n2001:db8::9\n::ffff:192.168.1.1\n");
        Assert.Equal(1, file.Entries);
        Assert.Contains("ignored 5 private or reserved entries", Assert.Single(file.Warnings).Message);
        Assert.True(set.Contains("2001:db8::9"));
        Assert.False(set.Contains("fd00::1"));
        Assert.False(set.Contains("192.168.1.1"));
    }

    [Fact]
    public void Keeps_the_public_part_of_an_entry_straddling_reserved_space()
    {
        var (set, file) = LoadOne("wide.txt", "96.0.0.0/4\n");
        Assert.Equal(1, file.Entries);
        Assert.Contains("kept only the public part of 1 entry", Assert.Single(file.Warnings).Message);
        Assert.True(set.Contains("100.63.255.255"));
        Assert.False(set.Contains("100.64.0.0"));
        Assert.False(set.Contains("100.127.255.255"));
        Assert.True(set.Contains("100.128.0.0"));
    }

    [Fact]
    public void A_name_comment_names_the_list()
    {
        var (set, file) = LoadOne("drop.txt", "; Spamhaus DROP\n# Name : Spamhaus DROP\n203.0.113.0/24 ; SBL123\n");
        Assert.Equal("Spamhaus DROP", file.Name);
        Assert.Equal(["Spamhaus DROP"], set.ListsContaining("203.0.113.1"));
    }

    [Fact]
    public void A_name_comment_after_the_first_entry_is_only_a_comment()
    {
        var (_, file) = LoadOne("late.txt", "203.0.113.1\n# Name: Too late\n203.0.113.2\n");
        Assert.Equal("late", file.Name);
    }

    [Theory]
    [InlineData("/lists/firehol_level1.netset", "firehol_level1")]
    [InlineData("/lists/tor.txt.gz", "tor")]
    [InlineData("/lists/blocklist.de.txt", "blocklist.de")]
    [InlineData("/lists/ips", "ips")]
    [InlineData("/lists/.txt", ".txt")]
    [InlineData("/lists/abuse.CSV", "abuse")]
    public void The_list_name_is_the_file_name_without_its_extensions(string path, string name)
    {
        Assert.Equal(name, IntelInput.BaseName(path));
    }

    [Fact]
    public void Reads_the_ip_column_of_a_CSV_with_quoted_fields()
    {
        var (set, file) = LoadOne("abuse.csv", """"
            # exported 2024-01-04
            id,"Description, long",IP_Address,score
            1,"ssh, then postgres",203.0.113.7,100
            2,"said ""hello""",  198.51.100.0/24 ,90
            3,"a note
            over two lines",192.0.2.1,80
            4,x,,1
            5,short
            6,x,not-an-ip,1
            """");
        Assert.Equal(3, file.Entries);
        Assert.True(set.Contains("203.0.113.7"));
        Assert.True(set.Contains("198.51.100.9"));
        Assert.True(set.Contains("192.0.2.1"));
        Assert.Equal([7L, 8L, 9L], Lines(file.Errors));
        Assert.Contains("empty", file.Errors[0].Reason);
        Assert.Contains("field 3", file.Errors[1].Reason);
        Assert.Contains("not-an-ip", file.Errors[2].Reason);
    }

    [Theory]
    [InlineData("ip")]
    [InlineData("IP")]
    [InlineData("ip_address")]
    [InlineData("ipAddress")]
    [InlineData("Address")]
    [InlineData("Indicator")]
    public void Accepts_each_name_of_the_address_column(string column)
    {
        var (set, file) = LoadOne("list.csv", $"first,{column},last\n10,203.0.113.7,9\n");
        Assert.Empty(file.Errors);
        Assert.True(set.Contains("203.0.113.7"));
    }

    [Fact]
    public void Prefers_the_ip_column_over_indicator_and_address()
    {
        var (set, file) = LoadOne("otx.csv", "indicator,address,ip\n198.51.100.1,198.51.100.2,198.51.100.3\n");
        Assert.Empty(file.Errors);
        Assert.False(set.Contains("198.51.100.1"));
        Assert.False(set.Contains("198.51.100.2"));
        Assert.True(set.Contains("198.51.100.3"));
    }

    [Fact]
    public void A_lone_ip_header_starts_a_one_column_list()
    {
        var (set, file) = LoadOne("one.csv", "IP\n203.0.113.7\n\"203.0.113.8\"\n");
        Assert.Empty(file.Errors);
        Assert.Equal(2, file.Entries);
        Assert.True(set.Contains("203.0.113.8"));
    }

    [Fact]
    public void A_CSV_without_an_address_column_is_reported_and_loads_nothing()
    {
        var (set, file) = LoadOne("wrong.csv", "# header next\nname,score\n203.0.113.7,1\n");
        var error = Assert.Single(file.Errors);
        Assert.Equal(2, error.Line);
        Assert.Contains("name, score", error.Reason);
        Assert.Equal(0, file.Entries);
        Assert.False(set.Contains("203.0.113.7"));
    }

    [Fact]
    public void An_unclosed_quote_is_reported_at_its_first_line()
    {
        var (set, file) = LoadOne("open.csv", "ip,note\n203.0.113.7,ok\n203.0.113.8,\"never closed\n203.0.113.9,x\n");
        Assert.Equal(3, Assert.Single(file.Errors).Line);
        Assert.True(set.Contains("203.0.113.7"));
        Assert.False(set.Contains("203.0.113.9"));
    }

    [Fact]
    public void Reports_bad_lines_with_their_numbers_and_loads_the_rest()
    {
        var (set, file) = LoadOne("mixed.txt", """
            203.0.113.1
            not-an-address
            203.0.113.2/33
            203.0.113.3 203.0.113.4
            10/8
            203.0.113.9-203.0.113.5
            203.0.113.1-2001:db8::1
            evil.example.com
            203.0.113.200
            """);
        Assert.Equal([2L, 3L, 4L, 5L, 6L, 7L, 8L], Lines(file.Errors));
        Assert.Contains("after the address", file.Errors[2].Reason);
        Assert.Contains("ends before it starts", file.Errors[4].Reason);
        Assert.Contains("mixes IPv4 and IPv6", file.Errors[5].Reason);
        Assert.All(file.Errors, e => Assert.EndsWith("mixed.txt", e.Source));
        Assert.Equal(2, file.Entries);
        Assert.True(set.Contains("203.0.113.1"));
        Assert.True(set.Contains("203.0.113.200"));
        Assert.False(set.Contains("203.0.113.3"));
    }

    [Fact]
    public void Reports_at_most_a_hundred_bad_lines_and_counts_the_rest()
    {
        var text = string.Join("\n", Enumerable.Range(1, 150).Select(i => "garbage" + i)) + "\n203.0.113.1\n";
        var (set, file) = LoadOne("junk.txt", text);
        Assert.Equal(101, file.Errors.Count);
        Assert.Equal(100, file.Errors[99].Line);
        Assert.Contains("50 more bad lines", file.Errors[100].Reason);
        Assert.True(set.Contains("203.0.113.1"));
    }

    [Fact]
    public void Reads_a_gzip_list_whatever_its_name()
    {
        var lists = ThreatListLoader.Load([Gzip(_dir, "feed.txt", "# Name: feed\n203.0.113.0/24\n")]);
        Assert.Empty(lists.Errors);
        Assert.True(lists.Set.Contains("203.0.113.99"));
    }

    [Fact]
    public void A_cut_off_gzip_list_is_reported_and_its_lines_are_kept()
    {
        var full = Gzip(_dir, "whole.txt.gz", string.Concat(Enumerable.Range(0, 5000).Select(i => $"2001:db8::{i:x}\n")));
        var bytes = File.ReadAllBytes(full.Path!);
        var cut = Bytes(_dir, "cut.txt.gz", bytes[..^8]);
        var lists = ThreatListLoader.Load([cut]);
        Assert.Contains("truncated", Assert.Single(lists.Errors).Reason);
        Assert.True(lists.Set.Contains("2001:db8::0"));
    }

    [Fact]
    public void A_missing_file_is_a_read_error()
    {
        var path = _dir.File("nope.txt");
        var lists = ThreatListLoader.Load([new Moat.Read.InputFile(path, path, 0)]);
        Assert.Contains("cannot read", Assert.Single(lists.Errors).Reason);
        Assert.Equal(["nope"], lists.Set.ListNames);
    }

    [Fact]
    public void An_empty_list_is_a_warning()
    {
        var (_, file) = LoadOne("empty.txt", "# nothing yet\n\n");
        Assert.Contains("no addresses", Assert.Single(file.Warnings).Message);
    }

    [Fact]
    public void Several_files_make_one_set_and_files_of_the_same_name_one_list()
    {
        var lists = ThreatListLoader.Load([
            Text(_dir, "a/scanners.txt", "203.0.113.0/24\n"),
            Text(_dir, "b/scanners.txt", "198.51.100.1\n"),
            Text(_dir, "tor.txt", "203.0.113.7\n"),
        ]);
        Assert.Equal(["scanners", "tor"], lists.Set.ListNames);
        Assert.Equal(["scanners"], lists.Set.ListsContaining("198.51.100.1"));
        Assert.Equal(["scanners", "tor"], lists.Set.ListsContaining("203.0.113.7"));
        Assert.Equal(3, lists.Files.Count);
    }
}
