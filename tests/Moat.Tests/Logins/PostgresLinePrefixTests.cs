using Moat.Logins;

namespace Moat.Tests.Logins;

/// <summary>The log_line_prefix variants, time zones, and lines that are not PostgreSQL's.</summary>
public sealed class PostgresLinePrefixTests
{
    [Theory]
    // RDS and Aurora: %t:%r:%u@%d:[%p]: (and with %m)
    [InlineData("2024-08-03 14:44:05 UTC:10.0.0.75(48820):[unknown]@[unknown]:[3000]:", "2024-08-03 14:44:05 UTC:10.0.0.75(48820):app@appdb:[3000]:")]
    [InlineData("2024-08-03 14:44:05.250 UTC:10.0.0.75(48820):[unknown]@[unknown]:[3000]:", "2024-08-03 14:44:05.250 UTC:10.0.0.75(48820):app@appdb:[3000]:")]
    // Debian and Ubuntu: %m [%p] %q%u@%d ; older Debian: %t [%p-%l] %q%u@%d
    [InlineData("2024-08-03 14:44:05.250 UTC [3000] [unknown]@[unknown] ", "2024-08-03 14:44:05.250 UTC [3000] app@appdb ")]
    [InlineData("2024-08-03 14:44:05 UTC [3000-1] [unknown]@[unknown] ", "2024-08-03 14:44:05 UTC [3000-2] app@appdb ")]
    // pgBadger's: %t [%p]: [%l-1] user=%u,db=%d,app=%a,client=%h  and without the line number
    [InlineData("2024-08-03 14:44:05 UTC [3000]: [1-1] user=[unknown],db=[unknown],app=[unknown],client=10.0.0.75 ", "2024-08-03 14:44:05 UTC [3000]: [2-1] user=app,db=appdb,app=[unknown],client=10.0.0.75 ")]
    [InlineData("2024-08-03 14:44:05 UTC [3000]: user=[unknown],db=[unknown],app=[unknown],client=10.0.0.75 ", "2024-08-03 14:44:05 UTC [3000]: user=app,db=appdb,app=[unknown],client=10.0.0.75 ")]
    [InlineData("2024-08-03 14:44:05 UTC [3000]: [1-1] ", "2024-08-03 14:44:05 UTC [3000]: [2-1] ")]
    // PostgreSQL's default since 10: %m [%p]
    [InlineData("2024-08-03 14:44:05.250 UTC [3000] ", "2024-08-03 14:44:05.250 UTC [3000] ")]
    // Not in the list: found by its timestamp, [pid] and severity.
    [InlineData("2024-08-03 14:44:05.250 UTC [3000] [user=,db=,app=] ", "2024-08-03 14:44:05.250 UTC [3000] [user=app,db=appdb,app=psql] ")]
    [InlineData("2024-08-03 14:44:05 UTC db=,user= [3000] ", "2024-08-03 14:44:05 UTC db=appdb,user=app [3000] ")]
    [InlineData("1722696245.250 [3000] ", "1722696245.251 [3000] ")]
    public void Reads_each_prefix(string before, string after)
    {
        var parser = Feed.Postgres(
            before + "LOG:  connection received: host=10.0.0.75 port=48820",
            after + "LOG:  connection authorized: user=app database=appdb application_name=psql",
            before.Replace("3000", "3001") + "LOG:  incomplete startup packet");

        Assert.Empty(parser.Errors);
        Assert.Equal(2, parser.Events.Count);
        // Events come in the order they are decided: the probe at once, the success once nothing refused it.
        Assert.Equal(LoginOutcome.Incomplete, parser.Events[0].Outcome);
        var e = parser.Events[1];
        Assert.Equal((LoginOutcome.Success, "app", "appdb", "psql"), (e.Outcome, e.User, e.DatabaseName, e.Application));
        Assert.Equal(("10.0.0.75", 48820), (e.RemoteIp, e.RemotePort));
        Assert.Equal("2024-08-03 14:44:05", e.Time.UtcDateTime.ToString("yyyy-MM-dd HH:mm:ss"));
    }

    [Theory]
    [InlineData("2024-08-03 14:44:05 UTC::@:[3000]:LOG:  checkpoint starting: time")]
    [InlineData("2024-08-03 14:44:05.123 UTC [3000] LOG:  checkpoint starting: time")]
    [InlineData("2024-08-03 14:44:05 UTC:10.0.0.75(48820):app@appdb:[3000]:ERROR:  relation \"t\" does not exist at character 15")]
    [InlineData("2024-08-03 14:44:05 UTC:10.0.0.75(48820):app@appdb:[3000]:STATEMENT:  select * from t where a = 'LOG:  connection received: host=1.2.3.4 port=5'")]
    [InlineData("\tand y = 2")]
    public void Lines_of_other_processes_and_statements_are_ignored(string line)
    {
        var parser = Feed.Postgres(line);

        Assert.Empty(parser.Errors);
        Assert.Empty(parser.Events);
        Assert.Equal((1L, 1L, 0L), (parser.LinesRead, parser.LinesIgnored, parser.LinesMalformed));
    }

    [Theory]
    [InlineData("UTC", 0)]
    [InlineData("GMT", 0)]
    [InlineData("CEST", 120)]
    [InlineData("EST", -300)]
    [InlineData("PDT", -420)]
    [InlineData("IST", 330)]
    [InlineData("-04", -240)]
    [InlineData("+0545", 345)]
    public void Time_zone_of_the_timestamp_is_applied(string zone, int minutes)
    {
        var e = Feed.Single(Feed.Postgres(
            $"2024-08-03 14:44:05 {zone}:10.0.0.75(48820):app@appdb:[3000]:LOG:  connection authorized: user=app database=appdb"));

        Assert.Equal(new DateTimeOffset(2024, 8, 3, 14, 44, 5, TimeSpan.FromMinutes(minutes)), e.Time);
        Assert.Equal(TimeSpan.FromMinutes(minutes), e.Time.Offset);
    }

    [Fact]
    public void Milliseconds_of_percent_m_are_kept()
    {
        var e = Feed.Single(Feed.Postgres(
            "2024-08-03 14:44:05.987 UTC [3000] app@appdb LOG:  connection authorized: user=app database=appdb"));

        Assert.Equal(987, e.Time.Millisecond);
    }

    [Fact]
    public void Unknown_time_zone_is_reported_not_guessed()
    {
        var parser = Feed.Postgres(
            "2024-08-03 14:44:05 XYZT:10.0.0.75(48820):app@appdb:[3000]:LOG:  connection authorized: user=app database=appdb");

        var error = Assert.Single(parser.Errors);
        Assert.Contains("time zone", error.Reason);
        Assert.Empty(parser.Events);
    }

    [Fact]
    public void Malformed_lines_are_reported_with_file_and_line_and_the_rest_is_read()
    {
        var parser = Feed.Postgres(
            "2024-08-03 14:44:05 UTC:10.0.0.75(48820):[unknown]@[unknown]:[3000]:LOG:  connection received: host=10.0.0.75 port=48820",
            "this is not a log line",
            "2024-08-03 14:44:05 UTC:10.0.0.75(48820):[unknown]@[unknown]:[3000]:LOG:  connection received: port=48820",
            "2024-02-30 14:44:05 UTC:10.0.0.75(48820):app@appdb:[3000]:LOG:  connection authorized: user=app database=appdb",
            "2024-08-03 14:44:05 UTC:10.0.0.75(48820):app@appdb:[3000]:LOG:  connection authorized: user=app database=appdb");

        Assert.Equal([2L, 3L, 4L], parser.Errors.Select(e => e.Line!.Value));
        Assert.StartsWith("postgresql.log:2: not a PostgreSQL log line", parser.Errors[0].ToString());
        Assert.Contains("this is not a log line", parser.Errors[0].Reason);
        Assert.Contains("without host=", parser.Errors[1].Reason);
        Assert.Equal(3, parser.LinesMalformed);
        Assert.Equal([LoginOutcome.Success], parser.Events.Select(e => e.Outcome));
    }

    [Fact]
    public void Errors_past_the_cap_are_counted_in_one_more()
    {
        var lines = Enumerable.Range(0, ILoginLogParser.MaxErrors + 5).Select(i => "garbage " + i).ToArray();

        var parser = Feed.Postgres(lines);

        Assert.Equal(ILoginLogParser.MaxErrors + 1, parser.Errors.Count);
        Assert.Equal("5 more malformed lines not listed", parser.Errors[^1].Reason);
        Assert.Equal(ILoginLogParser.MaxErrors + 5, parser.LinesMalformed);
    }

    /// <summary>What the real PostgreSQL 15 run in data/logins did, connection by connection (see its README).</summary>
    [Theory]
    [InlineData("postgres15-rds-prefix.log")]
    [InlineData("postgres15-debian-prefix.log")]
    public void Real_postgres15_log_gives_each_connection_its_outcome(string fixture)
    {
        var parser = Feed.Postgres(File.ReadAllLines(Feed.Fixture(fixture)));

        Assert.Empty(parser.Errors);
        var seen = parser.Events.OrderBy(e => e.Line)
            .Select(e => $"{e.Line} {e.Outcome} {e.Reason} {e.User}@{e.DatabaseName} {e.RemoteIp} {e.Ssl} {e.Application} {(e.Internal ? "internal" : "")}".TrimEnd())
            .ToList();
        Assert.Equal(
        [
            "9 Success  app@appdb 127.0.0.1 TLSv1.3 psql",
            "13 Success  app@appdb 127.0.0.1  psql",
            "16 Failure password authentication failed app@appdb 127.0.0.1",
            "19 Failure unknown user ghost@appdb 127.0.0.1",
            "23 Failure no password assigned nopw@appdb 127.0.0.1",
            "27 Failure rejected by pg_hba.conf blocked@appdb 127.0.0.1",
            "29 Failure no pg_hba.conf entry app@appdb ::1",
            "32 Success  app@appdb ::1 TLSv1.3 psql",
            "37 Failure unknown database app@nodb 127.0.0.1  psql",
            "41 Failure login not permitted nologin_u@appdb 127.0.0.1  psql",
            "43 Success  postgres@postgres [local]  psql internal",
            "47 Failure unknown user ghost2@postgres [local]  psql internal",
            "48 Incomplete input ended before the login completed @ 127.0.0.1",
            "49 Incomplete input ended before the login completed @ 127.0.0.1",
            "51 Incomplete incomplete startup packet @ 127.0.0.1",
            "53 Incomplete unsupported frontend protocol @ 127.0.0.1",
            "56 Success  app@appdb 127.0.0.1  nightly,report job",
        ], seen);
        Assert.All(parser.Events.Where(e => e.Outcome == LoginOutcome.Success && !e.Internal), e => Assert.Equal("scram-sha-256", e.AuthMethod));
    }
}
