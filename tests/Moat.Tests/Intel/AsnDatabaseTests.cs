using Moat.Intel;
using Moat.Tests.Read;
using static Moat.Tests.Intel.IntelFiles;

namespace Moat.Tests.Intel;

public sealed class AsnDatabaseTests : IDisposable
{
    private readonly TempDir _dir = new();

    public void Dispose() => _dir.Dispose();

    private const string Combined =
        "0.0.0.0\t0.255.255.255\t0\tNone\tNot routed\n" +
        "1.0.0.0\t1.0.0.255\t13335\tUS\tCLOUDFLARENET\n" +
        "1.0.1.0\t1.0.3.255\t0\tNone\tNot routed\n" +
        "1.0.4.0\t1.0.7.255\t38803\tAU\tGTELECOM-AUSTRALIA Gtelecom-AUSTRALIA\n" +
        "203.0.113.0\t203.0.113.127\t64500\tZZ\tEXAMPLE-NET - Example, Inc.\n" +
        "203.0.113.128\t203.0.113.255\t64500\tZZ\tEXAMPLE-NET - Example, Inc.\n" +
        "::\t1fff:ffff:ffff:ffff:ffff:ffff:ffff:ffff\t0\tNone\tNot routed\n" +
        "2001:db8::\t2001:db8:ffff:ffff:ffff:ffff:ffff:ffff\t64501\tNone\tDOC-V6\n" +
        "2606:4700::\t2606:4700:ffff:ffff:ffff:ffff:ffff:ffff\t13335\tUS\tCLOUDFLARENET\n";

    [Fact]
    public void Looks_up_IPv4_and_IPv6_in_a_combined_file()
    {
        var db = AsnDatabase.Load(Text(_dir, "ip2asn-combined.tsv", Combined));
        Assert.Empty(db.Errors);
        Assert.Equal(new AsnInfo(13335, "US", "CLOUDFLARENET"), db.Lookup("1.0.0.1"));
        Assert.Equal(new AsnInfo(38803, "AU", "GTELECOM-AUSTRALIA Gtelecom-AUSTRALIA"), db.Lookup("1.0.5.5"));
        Assert.Equal(new AsnInfo(13335, "US", "CLOUDFLARENET"), db.Lookup("2606:4700::1111"));
        Assert.Equal(new AsnInfo(64501, null, "DOC-V6"), db.Lookup("2001:db8::1"));
        Assert.Equal(new AsnInfo(13335, "US", "CLOUDFLARENET"), db.Lookup("::ffff:1.0.0.1"));
    }

    [Fact]
    public void Answers_at_range_boundaries_and_not_outside()
    {
        var db = AsnDatabase.Load(Text(_dir, "ip2asn-v4.tsv", Combined));
        Assert.Equal(13335u, db.Lookup("1.0.0.0")?.Number);
        Assert.Equal(13335u, db.Lookup("1.0.0.255")?.Number);
        Assert.Null(db.Lookup("1.0.1.0"));
        Assert.Equal(38803u, db.Lookup("1.0.4.0")?.Number);
        Assert.Equal(38803u, db.Lookup("1.0.7.255")?.Number);
        Assert.Null(db.Lookup("1.0.8.0"));
        Assert.Null(db.Lookup("255.255.255.255"));
        Assert.Null(db.Lookup("2001:db9::"));
        Assert.Null(db.Lookup("not an address"));
    }

    [Fact]
    public void Not_routed_space_answers_null()
    {
        var db = AsnDatabase.Load(Text(_dir, "ip2asn-v4.tsv", Combined));
        Assert.Null(db.Lookup("0.1.2.3"));
        Assert.Null(db.Lookup("1.0.2.0"));
        Assert.Null(db.Lookup("::1"));
        Assert.Equal(3, db.NotRouted);
    }

    [Fact]
    public void Shares_one_record_per_AS_and_joins_adjacent_rows()
    {
        var db = AsnDatabase.Load(Text(_dir, "ip2asn.tsv", Combined));
        Assert.Same(db.Lookup("203.0.113.1"), db.Lookup("203.0.113.200"));
        Assert.Same(db.Lookup("1.0.0.1"), db.Lookup("2606:4700::1"));
        Assert.Equal(5, db.RangeCount); // the two 203.0.113.x halves are one range
        Assert.Equal(4, db.AsnCount);
    }

    [Fact]
    public void Reads_a_gzip_file()
    {
        var db = AsnDatabase.Load(Gzip(_dir, "ip2asn-combined.tsv.gz", Combined));
        Assert.Empty(db.Errors);
        Assert.Equal(13335u, db.Lookup("1.0.0.1")?.Number);
    }

    [Fact]
    public void Reports_bad_lines_with_their_numbers_and_loads_the_rest()
    {
        var db = AsnDatabase.Load(Text(_dir, "bad.tsv",
            "1.0.0.0\t1.0.0.255\t13335\tUS\tCLOUDFLARENET\n" +
            "1.0.1.0 1.0.1.255 1 US SPACES\n" +
            "1.0.2.x\t1.0.2.255\t2\tUS\tBAD-START\n" +
            "1.0.3.0\t1.0.3.255\tAS3\tUS\tBAD-AS\n" +
            "1.0.4.0\t2001:db8::\t4\tUS\tMIXED\n" +
            "1.0.6.0\t1.0.5.0\t5\tUS\tBACKWARDS\n" +
            "1.0.0.128\t1.0.0.200\t6\tUS\tOVERLAP\n" +
            "\n# a comment\n" +
            "1.0.9.0\t1.0.9.255\t9\tUS\tGOOD\n"));
        Assert.Equal([2L, 3L, 4L, 5L, 6L, 7L], Lines(db.Errors));
        Assert.Contains("5 tab-separated fields", db.Errors[0].Reason);
        Assert.Contains("range_start", db.Errors[1].Reason);
        Assert.Contains("AS_number", db.Errors[2].Reason);
        Assert.Contains("line 1", db.Errors[5].Reason);
        Assert.Equal(13335u, db.Lookup("1.0.0.150")?.Number);
        Assert.Equal(9u, db.Lookup("1.0.9.9")?.Number);
    }

    [Fact]
    public void Sorts_a_file_whose_rows_are_out_of_order()
    {
        var db = AsnDatabase.Load(Text(_dir, "shuffled.tsv",
            "9.0.0.0\t9.255.255.255\t3356\tUS\tLEVEL3\n" +
            "1.0.0.0\t1.0.0.255\t13335\tUS\tCLOUDFLARENET\n" +
            "5.0.0.0\t5.0.0.255\t1\tDE\tFIVE\n"));
        Assert.Empty(db.Errors);
        Assert.Equal(13335u, db.Lookup("1.0.0.1")?.Number);
        Assert.Equal(1u, db.Lookup("5.0.0.1")?.Number);
        Assert.Equal(3356u, db.Lookup("9.9.9.9")?.Number);
        Assert.Null(db.Lookup("4.0.0.0"));
    }

    [Fact]
    public void A_missing_file_is_a_read_error_and_answers_nothing()
    {
        var path = _dir.File("missing.tsv.gz");
        var db = AsnDatabase.Load(new Moat.Read.InputFile(path, path, 0));
        Assert.Contains("cannot read", Assert.Single(db.Errors).Reason);
        Assert.Null(db.Lookup("1.0.0.1"));
    }

    [Fact]
    public void Lookups_do_not_allocate()
    {
        var db = AsnDatabase.Load(Text(_dir, "ip2asn.tsv", Combined));
        db.Lookup("2606:4700::1");
        long before = GC.GetAllocatedBytesForCurrentThread();
        int found = 0;
        for (int i = 0; i < 1000; i++)
        {
            if (db.Lookup("1.0.0.1") is not null) found++;
            if (db.Lookup("2606:4700::1") is not null) found++;
        }
        Assert.Equal(0, GC.GetAllocatedBytesForCurrentThread() - before);
        Assert.Equal(2000, found);
    }
}
