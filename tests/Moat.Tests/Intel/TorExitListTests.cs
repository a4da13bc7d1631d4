using Moat.Intel;
using Moat.Tests.Read;
using static Moat.Tests.Intel.IntelFiles;

namespace Moat.Tests.Intel;

public sealed class TorExitListTests : IDisposable
{
    private readonly TempDir _dir = new();

    public void Dispose() => _dir.Dispose();

    private const string ExitAddresses = """
        ExitNode 0011BD2485AD45D984EC4159C88FC066E5E3300E
        Published 2024-01-01 11:02:05
        LastStatus 2024-01-01 12:00:00
        ExitAddress 198.51.100.201 2024-01-01 12:04:41
        ExitAddress 198.51.100.202 2024-01-01 12:09:13
        ExitNode 0098C475875ABC4F3A8B5B8D4C1D0E1F2A3B4C5D
        Published 2024-01-01 10:00:00
        LastStatus 2024-01-01 11:00:00
        ExitAddress 2001:db8:70::1 2024-01-01 11:30:00
        ExitAddress 198.51.100.201 2024-01-01 11:59:59
        """;

    [Fact]
    public void Reads_the_bulk_exit_list()
    {
        var tor = TorExitList.Load(Text(_dir, "torbulkexitlist", "198.51.100.1\n203.0.113.9\n\n198.51.100.1\n"));
        Assert.Equal(TorExitFormat.BulkList, tor.Format);
        Assert.Empty(tor.Errors);
        Assert.Equal(2, tor.Count);
        Assert.True(tor.Contains("203.0.113.9"));
        Assert.False(tor.Contains("203.0.113.10"));
        Assert.Equal(["tor-exit"], tor.Set.ListsContaining("198.51.100.1"));
        Assert.Null(tor.Describe(IpAddr.Parse("198.51.100.1")));
    }

    [Fact]
    public void Reads_TorDNSEL_records_with_several_exit_addresses()
    {
        var tor = TorExitList.Load(Text(_dir, "exit-addresses", ExitAddresses));
        Assert.Equal(TorExitFormat.ExitAddresses, tor.Format);
        Assert.Empty(tor.Errors);
        Assert.Equal(3, tor.Count);
        Assert.True(tor.Contains("198.51.100.201"));
        Assert.True(tor.Contains("198.51.100.202"));
        Assert.True(tor.Contains("2001:db8:70::1"));
        Assert.False(tor.Contains("198.51.100.203"));

        var second = tor.Describe(IpAddr.Parse("2001:db8:70::1"));
        Assert.Equal(new TorExitInfo("0098C475875ABC4F3A8B5B8D4C1D0E1F2A3B4C5D",
            new DateTimeOffset(2024, 1, 1, 10, 0, 0, TimeSpan.Zero), new DateTimeOffset(2024, 1, 1, 11, 30, 0, TimeSpan.Zero)), second);
    }

    [Fact]
    public void An_address_shared_by_two_relays_keeps_the_latest_sighting()
    {
        var tor = TorExitList.Load(Text(_dir, "exit-addresses", ExitAddresses));
        var shared = tor.Describe(IpAddr.Parse("198.51.100.201"))!;
        Assert.Equal("0011BD2485AD45D984EC4159C88FC066E5E3300E", shared.Fingerprint);
        Assert.Equal(new DateTimeOffset(2024, 1, 1, 12, 4, 41, TimeSpan.Zero), shared.LastSeen);
    }

    [Fact]
    public void Reads_a_gzip_CollecTor_archive_with_its_headers()
    {
        var tor = TorExitList.Load(Gzip(_dir, "2024-01-01-12-02-00", "@type tordnsel 1.0\nDownloaded 2024-01-01 12:02:00\n" + ExitAddresses + "\n"));
        Assert.Equal(TorExitFormat.ExitAddresses, tor.Format);
        Assert.Empty(tor.Errors);
        Assert.Equal(3, tor.Count);
    }

    [Fact]
    public void Reports_bad_TorDNSEL_lines_with_their_numbers()
    {
        var tor = TorExitList.Load(Text(_dir, "exit-addresses", """
            ExitAddress 203.0.113.1 2024-01-01 12:00:00
            ExitNode NOT-A-FINGERPRINT
            ExitAddress 203.0.113.2 2024-01-01 12:00:00
            ExitNode 0011BD2485AD45D984EC4159C88FC066E5E3300E
            Published yesterday
            ExitAddress 203.0.113.x 2024-01-01 12:00:00
            ExitAddress 203.0.113.3 01/01/2024
            ExitAddress 203.0.113.4
            SomeFutureKeyword whatever
            ExitAddress 203.0.113.5 2024-01-01 12:00:00
            """));
        Assert.Equal([1L, 2L, 3L, 5L, 6L, 7L, 8L], Lines(tor.Errors));
        Assert.Contains("40 hex", tor.Errors[1].Reason);
        // An exit address without a relay is still an exit.
        Assert.True(tor.Contains("203.0.113.1"));
        Assert.True(tor.Contains("203.0.113.2"));
        Assert.Null(tor.Describe(IpAddr.Parse("203.0.113.2")));
        Assert.False(tor.Contains("203.0.113.3"));
        var last = tor.Describe(IpAddr.Parse("203.0.113.5"))!;
        Assert.Null(last.Published);
    }

    [Fact]
    public void Reports_bad_lines_of_the_bulk_list()
    {
        var tor = TorExitList.Load(Text(_dir, "torbulkexitlist", "198.51.100.1\nhello\n198.51.100.2\n"));
        Assert.Equal(2, Assert.Single(tor.Errors).Line);
        Assert.Equal(2, tor.Count);
    }

    [Fact]
    public void Ignores_private_addresses_with_a_warning()
    {
        var tor = TorExitList.Load(Text(_dir, "torbulkexitlist", "10.0.0.1\n198.51.100.1\n"));
        Assert.Contains("ignored 1 private or reserved entry", Assert.Single(tor.Warnings).Message);
        Assert.False(tor.Contains("10.0.0.1"));
        Assert.Equal(1, tor.Count);
    }

    [Fact]
    public void An_empty_file_is_a_warning()
    {
        var tor = TorExitList.Load(Text(_dir, "torbulkexitlist", ""));
        Assert.Contains("no Tor exit addresses", Assert.Single(tor.Warnings).Message);
        Assert.Equal(0, tor.Count);
    }
}
