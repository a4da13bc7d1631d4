using Moat.Logins;

namespace Moat.Tests.Logins;

/// <summary>Aurora MySQL advanced auditing and the MariaDB audit plugin.</summary>
public sealed class MySqlAuditParserTests
{
    [Fact]
    public void Aurora_failed_connect_is_a_failure_and_its_disconnect_decides_nothing()
    {
        var parser = Feed.MySql(
            "1728498527380921,auora-mysql-node1,user_1,172.31.49.222,147189,0,FAILED_CONNECT,,,1045",
            "1728498527380940,auora-mysql-node1,user_1,172.31.49.222,147189,0,DISCONNECT,,,0");

        var e = Feed.Single(parser);
        Assert.Equal((LoginOutcome.Failure, LoginReason.AccessDenied), (e.Outcome, e.Reason));
        Assert.Equal(("user_1", "172.31.49.222", (int?)null), (e.User, e.RemoteIp, e.RemotePort));
        Assert.Equal(DateTimeOffset.FromUnixTimeMilliseconds(1728498527380).AddTicks(9210), e.Time);
        Assert.Equal(("aurora-mysql", Feed.Database, 1L), (e.Engine, e.Database, e.Line));
        Assert.Equal("prod-db-1|auora-mysql-node1|147189|1728498527380921", e.Identity);
        Assert.Equal((2L, 0L), (parser.LinesRead, parser.LinesIgnored));
    }

    [Fact]
    public void Aurora_connect_is_a_success_and_queries_are_counted_as_ignored()
    {
        var parser = Feed.MySql(
            "1728498600123456,aurora-mysql-node1,app,10.0.3.14,147190,0,CONNECT,appdb,,0",
            "1728498600223456,aurora-mysql-node1,app,10.0.3.14,147190,5521,QUERY,appdb,'SELECT id, name FROM t',0",
            "1728498600323456,aurora-mysql-node1,app,10.0.3.14,147190,5522,READ,appdb,t,0");

        var e = Feed.Single(parser);
        Assert.Equal((LoginOutcome.Success, "app", "appdb", null), (e.Outcome, e.User, e.DatabaseName, e.Reason));
        Assert.Equal(2, parser.LinesIgnored);
    }

    [Fact]
    public void Rows_out_of_time_order_each_keep_their_own_time()
    {
        // Aurora writes rows of several threads to several files; they do not come sorted.
        var parser = Feed.MySql(
            "1728498600900000,node1,app,10.0.3.14,12,0,DISCONNECT,appdb,,0",
            "1728498600500000,node1,bob,10.0.3.15,13,0,FAILED_CONNECT,,,1045",
            "1728498600100000,node1,app,10.0.3.14,12,0,CONNECT,appdb,,0",
            "1728498600300000,node1,bob,10.0.3.15,11,0,CONNECT,appdb,,0");

        Assert.Empty(parser.Errors);
        Assert.Equal(
            [("bob", LoginOutcome.Failure, 500L), ("app", LoginOutcome.Success, 100L), ("bob", LoginOutcome.Success, 300L)],
            parser.Events.Select(e => (e.User!, e.Outcome, (e.Time.ToUnixTimeMilliseconds() - 1728498600000L))));
    }

    [Theory]
    [InlineData("'SELECT a, b FROM t WHERE x = \\'1,2\\''")]
    [InlineData("'SELECT a, b FROM t WHERE x = ''1,2'''")]
    [InlineData("'INSERT INTO t VALUES (1, \\'a\\\\\\', 2)'")]
    public void Quoted_sql_with_commas_and_escaped_quotes_keeps_the_fields_in_place(string sql)
    {
        var parser = Feed.MySql(
            "1728498600223456,node1,app,10.0.3.14,147190,5521,QUERY,appdb," + sql + ",0",
            "1728498600323456,node1,app,10.0.3.14,147190,0,CHANGEUSER,appdb," + sql + ",1045,SSL/TLS");

        var e = Feed.Single(parser);
        Assert.Equal((LoginOutcome.Failure, LoginReason.AccessDenied, "SSL/TLS"), (e.Outcome, e.Reason, e.Ssl));
        Assert.Equal(1, parser.LinesIgnored);
    }

    [Fact]
    public void Query_with_a_raw_line_break_goes_on_in_the_next_line()
    {
        var parser = Feed.MySql(
            "1728498600223456,node1,app,10.0.3.14,147190,5521,QUERY,appdb,'SELECT 1",
            "FROM t WHERE a = \\'x\\', b = 2',0",
            "1728498600323456,node1,app,10.0.3.14,147191,0,CONNECT,appdb,,0");

        Assert.Equal(LoginOutcome.Success, Feed.Single(parser).Outcome);
        Assert.Equal(2, parser.LinesIgnored);
    }

    [Theory]
    [InlineData(1045, LoginReason.AccessDenied)]
    [InlineData(1044, LoginReason.DatabaseAccessDenied)]
    [InlineData(1049, LoginReason.UnknownDatabase)]
    [InlineData(1130, LoginReason.HostNotAllowed)]
    [InlineData(1129, LoginReason.HostBlocked)]
    [InlineData(1040, LoginReason.TooManyConnections)]
    [InlineData(3118, LoginReason.AccountLocked)]
    [InlineData(9999, "error 9999")]
    public void Retcode_gives_the_reason(int code, string reason)
    {
        var e = Feed.Single(Feed.MySql($"1728498527380921,node1,user_1,172.31.49.222,147189,0,FAILED_CONNECT,appdb,,{code}"));

        Assert.Equal((LoginOutcome.Failure, reason), (e.Outcome, e.Reason));
    }

    [Fact]
    public void MariaDB_plugin_line_without_connection_type()
    {
        var e = Feed.Single(Feed.MySql("20201130 23:08:44,localhost.localdomain,root,localhost,2,0,FAILED_CONNECT,,,1045"));

        Assert.Equal(new DateTimeOffset(2020, 11, 30, 23, 8, 44, TimeSpan.Zero), e.Time);
        Assert.Equal((LoginOutcome.Failure, "root", "localhost", "mysql"), (e.Outcome, e.User, e.RemoteIp, e.Engine));
        Assert.Null(e.Ssl);
        Assert.True(e.Internal); // localhost
    }

    [Theory]
    [InlineData("SSL/TLS", "SSL/TLS", false)]
    [InlineData("TCP/IP", null, false)]
    [InlineData("Socket", null, true)]
    [InlineData("Named pipe", null, true)]
    [InlineData("Shared Memory", null, true)]
    [InlineData("Undefined", null, false)]
    public void MariaDB_plugin_connection_type_gives_ssl_and_sockets(string type, string? ssl, bool @internal)
    {
        var e = Feed.Single(Feed.MySql($"20240803 14:44:05,ip-10-0-0-5,app,10.0.3.14,26,0,CONNECT,appdb,,0,{type}"));

        Assert.Equal((LoginOutcome.Success, ssl, @internal), (e.Outcome, e.Ssl, e.Internal));
    }

    [Fact]
    public void MariaDB12_host_carries_the_client_port()
    {
        var parser = Feed.MySql(
            "20250603 10:00:00,db1,app,10.0.3.14:50432,26,0,CONNECT,appdb,,0",
            "20250603 10:00:01,db1,app,2001:db8::7:50433,27,0,CONNECT,appdb,,0",
            "20250603 10:00:02,db1,app,[2001:db8::8]:50434,28,0,CONNECT,appdb,,0");

        Assert.Equal(
            [("10.0.3.14", (int?)50432), ("2001:db8::7", 50433), ("2001:db8::8", 50434)],
            parser.Events.Select(e => (e.RemoteIp, e.RemotePort)));
    }

    [Fact]
    public void Ipv6_host_without_ports_seen_is_kept_whole()
    {
        var e = Feed.Single(Feed.MySql("20240803 14:44:05,db1,app,2001:db8::7:1,26,0,CONNECT,appdb,,0"));

        Assert.Equal(("2001:db8::7:1", (int?)null), (e.RemoteIp, e.RemotePort));
    }

    [Fact]
    public void Rdsadmin_is_internal()
    {
        var e = Feed.Single(Feed.MySql("1728498527380921,node1,rdsadmin,10.0.0.1,5,0,CONNECT,,,0"));

        Assert.True(e.Internal);
    }

    [Fact]
    public void Malformed_rows_are_reported_with_their_line_and_the_rest_is_read()
    {
        var parser = Feed.MySql(
            "not,an,audit,row",
            "1728498527380921,node1,user_1,172.31.49.222",
            "1728498527380921,node1,user_1,172.31.49.222,147189,0,FAILED_CONNECT,,,denied",
            "1728498600123456,node1,app,10.0.3.14,147190,0,CONNECT,appdb,,0");

        Assert.Equal([1L, 2L, 3L], parser.Errors.Select(e => e.Line!.Value));
        Assert.StartsWith("audit.log:1: not a MySQL audit line", parser.Errors[0].ToString());
        Assert.Contains("fewer than 10", parser.Errors[1].Reason);
        Assert.Contains("retcode", parser.Errors[2].Reason);
        Assert.Equal(LoginOutcome.Success, Assert.Single(parser.Events).Outcome);
        Assert.Equal(3, parser.LinesMalformed);
    }
}
