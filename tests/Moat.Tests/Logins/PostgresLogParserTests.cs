using Moat.Logins;

namespace Moat.Tests.Logins;

/// <summary>The login lines of PostgreSQL 12 to 18 in the RDS/Aurora prefix, joined per connection.</summary>
public sealed class PostgresLogParserTests
{
    private const string P = "2024-08-03 14:44:05 UTC:10.0.0.75(48820):";

    [Fact]
    public void Joins_received_authenticated_and_authorized_into_one_success()
    {
        var e = Feed.Single(Feed.Postgres(
            P + "[unknown]@[unknown]:[3000]:LOG:  connection received: host=10.0.0.75 port=48820",
            P + "dynapipe@postgres:[3000]:LOG:  connection authenticated: identity=\"dynapipe\" method=md5 (/rdsdbdata/config/pg_hba.conf:13)",
            P + "dynapipe@postgres:[3000]:LOG:  connection authorized: user=dynapipe database=postgres application_name=psql SSL enabled (protocol=TLSv1.3, cipher=TLS_AES_256_GCM_SHA384, bits=256)"));

        Assert.Equal(LoginOutcome.Success, e.Outcome);
        Assert.Equal(new DateTimeOffset(2024, 8, 3, 14, 44, 5, TimeSpan.Zero), e.Time);
        Assert.Equal(("dynapipe", "postgres", "psql"), (e.User, e.DatabaseName, e.Application));
        Assert.Equal(("TLSv1.3", "md5"), (e.Ssl, e.AuthMethod));
        Assert.Equal(("10.0.0.75", 48820), (e.RemoteIp, e.RemotePort));
        Assert.Equal((Feed.Database, (string?)null, "postgres"), (e.Database, e.Cluster, e.Engine));
        Assert.Equal((Feed.Source, 3L), (e.Source, e.Line));
        Assert.Null(e.Reason);
        Assert.False(e.Internal);
        Assert.Equal("prod-db-1|3000|10.0.0.75|48820|2024-08-03T14:44:05Z", e.Identity);
    }

    [Fact]
    public void Authorized_without_application_name_or_ssl_leaves_them_empty()
    {
        var e = Feed.Single(Feed.Postgres(
            P + "[unknown]@[unknown]:[3000]:LOG:  connection received: host=10.0.0.75 port=48820",
            P + "app@appdb:[3000]:LOG:  connection authorized: user=app database=appdb"));

        Assert.Equal(("app", "appdb"), (e.User, e.DatabaseName));
        Assert.Null(e.Application);
        Assert.Null(e.Ssl);
    }

    [Theory]
    [InlineData("application_name=nightly,report job", "nightly,report job", null)]
    [InlineData("application_name=my app SSL enabled (protocol=TLSv1.2, cipher=ECDHE-RSA-AES256-GCM-SHA384, bits=256)", "my app", "TLSv1.2")]
    // Before PostgreSQL 14 the clause ended with compression; the 2018 RDS example has no bits.
    [InlineData("application_name=psql SSL enabled (protocol=TLSv1.2, cipher=ECDHE-RSA-AES256-GCM-SHA384, bits=256, compression=off)", "psql", "TLSv1.2")]
    [InlineData("SSL enabled (protocol=TLSv1.2, cipher=ECDHE-RSA-AES256-GCM-SHA384, compression=off)", null, "TLSv1.2")]
    [InlineData("application_name=psql GSS (authenticated=yes, encrypted=yes, principal=app@EXAMPLE.COM)", "psql", "GSS")]
    [InlineData("application_name=psql GSS (authenticated=yes, encrypted=no, delegated_credentials=no, principal=app@EXAMPLE.COM)", "psql", null)]
    public void Reads_application_name_and_every_ssl_clause(string tail, string? application, string? ssl)
    {
        var e = Feed.Single(Feed.Postgres(
            P + "[unknown]@[unknown]:[3000]:LOG:  connection received: host=10.0.0.75 port=48820",
            P + "app@appdb:[3000]:LOG:  connection authorized: user=app database=appdb " + tail));

        Assert.Equal(("app", "appdb"), (e.User, e.DatabaseName));
        Assert.Equal((application, ssl), (e.Application, e.Ssl));
    }

    [Fact]
    public void Replication_connection_is_a_success_without_a_database()
    {
        var e = Feed.Single(Feed.Postgres(
            P + "[unknown]@[unknown]:[3000]:LOG:  connection received: host=10.0.0.75 port=48820",
            P + "repl@[unknown]:[3000]:LOG:  replication connection authorized: user=repl application_name=walreceiver SSL enabled (protocol=TLSv1.3, cipher=TLS_AES_256_GCM_SHA384, bits=256)"));

        Assert.Equal(LoginOutcome.Success, e.Outcome);
        Assert.Equal(("repl", null, "walreceiver", "TLSv1.3"), (e.User, e.DatabaseName, e.Application, e.Ssl));
    }

    [Theory]
    [InlineData("Password does not match for user \"test_user\".", LoginReason.WrongPassword)]
    [InlineData("Role \"test_user\" does not exist.", LoginReason.UnknownUser)]
    [InlineData("User \"test_user\" has no password assigned.", LoginReason.NoPassword)]
    [InlineData("User \"test_user\" has an expired password.", LoginReason.ExpiredPassword)]
    // PostgreSQL 15 gives no reason for a wrong SCRAM password, only where the login matched pg_hba.conf.
    [InlineData("Connection matched pg_hba.conf line 4: \"host all all 127.0.0.1/32 scram-sha-256\"", LoginReason.PasswordFailed)]
    // PostgreSQL 16 names the file.
    [InlineData("Connection matched file \"/rdsdbdata/config/pg_hba.conf\" line 13: \"host all all 0.0.0.0/0 md5\"", LoginReason.PasswordFailed)]
    public void Password_failure_takes_its_reason_from_the_detail(string detail, string reason)
    {
        const string f = "2018-04-19 10:12:31 UTC:123.45.67.8(6789):test_user@Test_DB:[12507]:";
        var e = Feed.Single(Feed.Postgres(
            f + "FATAL:  password authentication failed for user \"test_user\"",
            f + "DETAIL:  " + detail));

        Assert.Equal(LoginOutcome.Failure, e.Outcome);
        Assert.Equal(reason, e.Reason);
        Assert.Equal(("test_user", "Test_DB", "password"), (e.User, e.DatabaseName, e.AuthMethod));
        Assert.Equal(("123.45.67.8", 6789), (e.RemoteIp, e.RemotePort));
        Assert.Equal(1, e.Line);
    }

    [Theory]
    [InlineData("Connection matched pg_hba.conf line 13: \"host all all 0.0.0.0/0 md5\"")]
    [InlineData("Connection matched file \"/rdsdbdata/config/pg_hba.conf\" line 13: \"host all all 0.0.0.0/0 md5\"")]
    public void Detail_continued_on_a_tab_line_belongs_to_the_failure(string matched)
    {
        const string f = "2018-04-19 10:12:31 UTC:123.45.67.8(6789):test_user@Test_DB:[12507]:";
        var parser = Feed.Postgres(
            f + "FATAL:  password authentication failed for user \"test_user\"",
            f + "DETAIL:  Password does not match for user \"test_user\".\n\t" + matched,
            "2018-04-19 10:12:32 UTC:123.45.67.8(6790):[unknown]@[unknown]:[12508]:LOG:  connection received: host=123.45.67.8 port=6790");

        Assert.Empty(parser.Errors);
        Assert.Equal(0, parser.LinesIgnored);
        Assert.Equal(LoginReason.WrongPassword, parser.Events[0].Reason);
        Assert.Equal(LoginOutcome.Incomplete, parser.Events[1].Outcome);
    }

    [Fact]
    public void Detail_of_another_process_does_not_change_a_failure()
    {
        var parser = Feed.Postgres(
            "2018-04-19 10:12:31 UTC:123.45.67.8(6789):u@d:[12507]:FATAL:  password authentication failed for user \"u\"",
            "2018-04-19 10:12:31 UTC:10.0.0.1(5000):v@d:[999]:DETAIL:  Password does not match for user \"v\".");

        Assert.Equal(LoginReason.PasswordFailed, Feed.Single(parser).Reason);
    }

    [Fact]
    public void Pam_failure_of_an_iam_token_names_the_method()
    {
        var e = Feed.Single(Feed.Postgres(
            P + "iam_user@postgres:[3000]:FATAL:  PAM authentication failed for user \"iam_user\""));

        Assert.Equal(LoginOutcome.Failure, e.Outcome);
        Assert.Equal(("PAM authentication failed", "pam", "iam_user"), (e.Reason, e.AuthMethod, e.User));
    }

    [Theory]
    [InlineData("no pg_hba.conf entry for host \"203.0.113.9\", user \"postgres\", database \"postgres\", no encryption", LoginReason.NoHbaEntry, null)]
    [InlineData("no pg_hba.conf entry for host \"203.0.113.9\", user \"postgres\", database \"postgres\", SSL encryption", LoginReason.NoHbaEntry, "SSL")]
    [InlineData("no pg_hba.conf entry for host \"203.0.113.9\", user \"postgres\", database \"postgres\", GSS encryption", LoginReason.NoHbaEntry, "GSS")]
    [InlineData("pg_hba.conf rejects connection for host \"203.0.113.9\", user \"postgres\", database \"postgres\", no encryption", LoginReason.HbaRejects, null)]
    [InlineData("pg_hba.conf rejects connection for host \"203.0.113.9\", user \"postgres\", database \"postgres\", SSL encryption", LoginReason.HbaRejects, "SSL")]
    // Before PostgreSQL 12.
    [InlineData("no pg_hba.conf entry for host \"203.0.113.9\", user \"postgres\", database \"postgres\", SSL off", LoginReason.NoHbaEntry, null)]
    [InlineData("no pg_hba.conf entry for host \"203.0.113.9\", user \"postgres\", database \"postgres\", SSL on", LoginReason.NoHbaEntry, "SSL")]
    [InlineData("pg_hba.conf rejects connection for host \"203.0.113.9\", user \"postgres\", database \"postgres\", SSL off", LoginReason.HbaRejects, null)]
    public void Host_rules_refuse_with_either_encryption_wording(string message, string reason, string? ssl)
    {
        var e = Feed.Single(Feed.Postgres(
            "2024-08-03 14:44:05 UTC:203.0.113.9(40000):[unknown]@[unknown]:[4000]:LOG:  connection received: host=203.0.113.9 port=40000",
            "2024-08-03 14:44:05 UTC:203.0.113.9(40000):postgres@postgres:[4000]:FATAL:  " + message));

        Assert.Equal(LoginOutcome.Failure, e.Outcome);
        Assert.Equal((reason, ssl), (e.Reason, e.Ssl));
        Assert.Equal(("postgres", "postgres"), (e.User, e.DatabaseName));
        Assert.Equal(("203.0.113.9", 40000), (e.RemoteIp, e.RemotePort));
    }

    [Fact]
    public void Replication_host_rule_refusal_has_no_database()
    {
        var e = Feed.Single(Feed.Postgres(
            "2026-11-23 18:28:02 UTC:127.0.0.1(55090):app@[unknown]:[25178]:FATAL:  no pg_hba.conf entry for replication connection from host \"127.0.0.1\", user \"app\", no encryption"));

        Assert.Equal((LoginReason.NoHbaEntry, "app", null), (e.Reason, e.User, e.DatabaseName));
    }

    [Fact]
    public void Failure_without_connection_lines_takes_the_host_from_the_message()
    {
        // log_connections off and PostgreSQL's default prefix: only the failure is logged, and the prefix has no host.
        var e = Feed.Single(Feed.Postgres(
            "2024-08-03 14:44:05.123 UTC [4000] FATAL:  no pg_hba.conf entry for host \"203.0.113.9\", user \"postgres\", database \"postgres\", no encryption"));

        Assert.Equal(("203.0.113.9", (int?)null), (e.RemoteIp, e.RemotePort));
        Assert.Equal(new DateTimeOffset(2024, 8, 3, 14, 44, 5, 123, TimeSpan.Zero), e.Time);
    }

    [Fact]
    public void Failure_with_nothing_naming_the_client_has_an_unknown_ip()
    {
        var e = Feed.Single(Feed.Postgres(
            "2024-08-03 14:44:05.123 UTC [4000] FATAL:  password authentication failed for user \"app\""));

        Assert.Equal(("[unknown]", "app"), (e.RemoteIp, e.User));
    }

    [Theory]
    [InlineData("database \"nodb\" does not exist", LoginReason.UnknownDatabase, "app", "nodb")]
    [InlineData("role \"ghost\" does not exist", LoginReason.UnknownUser, "ghost", "appdb")]
    [InlineData("role \"app\" is not permitted to log in", LoginReason.LoginNotPermitted, "app", "appdb")]
    [InlineData("permission denied for database \"appdb\"", LoginReason.NoConnectPrivilege, "app", "appdb")]
    [InlineData("too many connections for role \"app\"", LoginReason.TooManyConnections, "app", "appdb")]
    public void Refusal_after_authorization_turns_the_login_into_a_failure(string message, string reason, string user, string database)
    {
        // The role and database are checked after "connection authorized" is logged.
        const string f = "2024-08-03 14:44:05 UTC:10.0.0.75(48820):";
        var e = Feed.Single(Feed.Postgres(
            f + "[unknown]@[unknown]:[3000]:LOG:  connection received: host=10.0.0.75 port=48820",
            f + "app@appdb:[3000]:LOG:  connection authorized: user=" + user + " database=" + database + " application_name=psql",
            f + "app@appdb:[3000]:FATAL:  " + message));

        Assert.Equal(LoginOutcome.Failure, e.Outcome);
        Assert.Equal((reason, user, database, "psql"), (e.Reason, e.User, e.DatabaseName, e.Application));
        Assert.Equal(3, e.Line);
    }

    [Fact]
    public void Permission_denied_keeps_its_detail_out_of_the_next_connection()
    {
        const string f = "2026-11-23 18:28:02 UTC:127.0.0.1(55042):app@noconn:[25166]:";
        var parser = Feed.Postgres(
            "2026-11-23 18:28:02 UTC:127.0.0.1(55042):[unknown]@[unknown]:[25166]:LOG:  connection received: host=127.0.0.1 port=55042",
            f + "LOG:  connection authorized: user=app database=noconn application_name=psql",
            f + "FATAL:  permission denied for database \"noconn\"",
            f + "DETAIL:  User does not have CONNECT privilege.");

        Assert.Equal(LoginReason.NoConnectPrivilege, Feed.Single(parser).Reason);
    }

    [Fact]
    public void Session_lines_after_authorization_settle_the_success_at_once()
    {
        var parser = new PostgresLogParser("pg.log", "db", null, TimeSpan.FromSeconds(60));
        parser.Feed(P + "[unknown]@[unknown]:[3000]:LOG:  connection received: host=10.0.0.75 port=48820", 1);
        parser.Feed(P + "app@appdb:[3000]:LOG:  connection authorized: user=app database=appdb", 2);
        Assert.Empty(parser.Events);

        parser.Feed(P + "app@appdb:[3000]:LOG:  statement: select 1", 3);

        Assert.Equal(LoginOutcome.Success, Assert.Single(parser.Events).Outcome);
        parser.Feed(P + "app@appdb:[3000]:FATAL:  terminating connection due to administrator command", 4);
        parser.Finish();
        Assert.Single(parser.Events);
    }

    [Fact]
    public void Authorization_nobody_refuses_becomes_a_success_as_log_time_passes()
    {
        var parser = new PostgresLogParser("pg.log", "db", null, TimeSpan.FromSeconds(60));
        parser.Feed("2024-08-03 14:44:05 UTC:10.0.0.75(48820):app@appdb:[3000]:LOG:  connection authorized: user=app database=appdb", 1);
        parser.Feed("2024-08-03 14:44:10 UTC::@:[99]:LOG:  checkpoint starting: time", 2);
        Assert.Empty(parser.Events);

        parser.Feed("2024-08-03 14:44:16 UTC::@:[99]:LOG:  checkpoint complete", 3);

        Assert.Equal(LoginOutcome.Success, Assert.Single(parser.Events).Outcome);
    }

    [Fact]
    public void Disconnection_closes_the_connection()
    {
        var parser = Feed.Postgres(
            P + "[unknown]@[unknown]:[3000]:LOG:  connection received: host=10.0.0.75 port=48820",
            P + "app@appdb:[3000]:LOG:  connection authorized: user=app database=appdb",
            P + "app@appdb:[3000]:LOG:  disconnection: session time: 0:00:05.123 user=app database=appdb host=10.0.0.75 port=48820",
            P + "app@appdb:[3000]:FATAL:  role \"app\" does not exist");

        Assert.Equal(LoginOutcome.Failure, parser.Events[1].Outcome); // the last line stands alone: not the closed session's
        Assert.Equal(LoginOutcome.Success, parser.Events[0].Outcome);
        Assert.Equal(2, parser.Events.Count);
    }

    [Theory]
    [InlineData("LOG:  incomplete startup packet", LoginReason.IncompleteStartupPacket)]
    [InlineData("LOG:  invalid length of startup packet", LoginReason.InvalidStartupPacket)]
    [InlineData("FATAL:  unsupported frontend protocol 9.0: server supports 3.0 to 3.0", LoginReason.UnsupportedProtocol)]
    [InlineData("FATAL:  unsupported frontend protocol 1234.5679: server supports 3.0 to 3.2", LoginReason.UnsupportedProtocol)]
    [InlineData("FATAL:  no PostgreSQL user name specified in startup packet", LoginReason.InvalidStartupPacket)]
    [InlineData("FATAL:  canceling authentication due to timeout", LoginReason.AuthenticationTimeout)]
    [InlineData("LOG:  could not receive data from client: Connection reset by peer", LoginReason.ConnectionLost)]
    [InlineData("LOG:  could not accept SSL connection: wrong version number", LoginReason.SslFailed)]
    [InlineData("LOG:  received unencrypted data after SSL request", LoginReason.InvalidStartupPacket)]
    [InlineData("FATAL:  the database system is starting up", "the database system is starting up")]
    public void Probes_and_broken_startups_are_incomplete(string message, string reason)
    {
        const string f = "2024-08-03 14:44:05 UTC:198.51.100.7(51000):[unknown]@[unknown]:[5000]:";
        var e = Feed.Single(Feed.Postgres(
            f + "LOG:  connection received: host=198.51.100.7 port=51000",
            f + message));

        Assert.Equal(LoginOutcome.Incomplete, e.Outcome);
        Assert.Equal(reason, e.Reason);
        Assert.Null(e.User);
        Assert.Equal(("198.51.100.7", 51000), (e.RemoteIp, e.RemotePort));
    }

    [Fact]
    public void Probe_without_connection_received_stands_alone()
    {
        var e = Feed.Single(Feed.Postgres(
            "2024-08-03 14:44:05 UTC:198.51.100.7(51000):[unknown]@[unknown]:[5000]:LOG:  incomplete startup packet"));

        Assert.Equal((LoginOutcome.Incomplete, "198.51.100.7", 51000), (e.Outcome, e.RemoteIp, e.RemotePort));
    }

    [Fact]
    public void Connection_with_nothing_after_it_is_incomplete_once_log_time_passes_the_timeout()
    {
        var parser = new PostgresLogParser("pg.log", "db", null, TimeSpan.FromSeconds(30));
        parser.Feed("2024-08-03 14:00:00 UTC:198.51.100.7(51000):[unknown]@[unknown]:[5000]:LOG:  connection received: host=198.51.100.7 port=51000", 1);
        parser.Feed("2024-08-03 14:00:30 UTC::@:[99]:LOG:  checkpoint starting: time", 2);
        Assert.Empty(parser.Events);

        parser.Feed("2024-08-03 14:00:31 UTC::@:[99]:LOG:  checkpoint complete", 3);

        var e = Assert.Single(parser.Events);
        Assert.Equal((LoginOutcome.Incomplete, LoginReason.NothingAfterConnect, 1L), (e.Outcome, e.Reason, e.Line));
        Assert.Equal(new DateTimeOffset(2024, 8, 3, 14, 0, 0, TimeSpan.Zero), e.Time);
    }

    [Fact]
    public void Connection_with_nothing_after_it_is_incomplete_at_end_of_input()
    {
        var e = Feed.Single(Feed.Postgres(
            "2024-08-03 14:00:00 UTC:198.51.100.7(51000):[unknown]@[unknown]:[5000]:LOG:  connection received: host=198.51.100.7 port=51000"));

        Assert.Equal((LoginOutcome.Incomplete, LoginReason.InputEnded), (e.Outcome, e.Reason));
    }

    [Fact]
    public void Interleaved_connections_are_joined_by_pid_host_and_port()
    {
        var parser = Feed.Postgres(
            "2024-08-03 14:44:05 UTC:10.0.0.1(1001):[unknown]@[unknown]:[101]:LOG:  connection received: host=10.0.0.1 port=1001",
            "2024-08-03 14:44:05 UTC:10.0.0.2(2002):[unknown]@[unknown]:[202]:LOG:  connection received: host=10.0.0.2 port=2002",
            "2024-08-03 14:44:05 UTC:10.0.0.3(3003):[unknown]@[unknown]:[303]:LOG:  connection received: host=10.0.0.3 port=3003",
            "2024-08-03 14:44:05 UTC:10.0.0.2(2002):bob@appdb:[202]:FATAL:  password authentication failed for user \"bob\"",
            "2024-08-03 14:44:05 UTC:10.0.0.1(1001):alice@appdb:[101]:LOG:  connection authorized: user=alice database=appdb application_name=psql",
            "2024-08-03 14:44:05 UTC:10.0.0.2(2002):bob@appdb:[202]:DETAIL:  Password does not match for user \"bob\".",
            "2024-08-03 14:44:06 UTC:10.0.0.1(1001):alice@appdb:[101]:LOG:  disconnection: session time: 0:00:01.000 user=alice database=appdb host=10.0.0.1 port=1001");

        Assert.Empty(parser.Errors);
        var byIp = parser.Events.ToDictionary(e => e.RemoteIp);
        Assert.Equal(3, byIp.Count);
        Assert.Equal((LoginOutcome.Success, "alice"), (byIp["10.0.0.1"].Outcome, byIp["10.0.0.1"].User));
        // bob's DETAIL came after another process's line (as syslog interleaves them) and still gives the reason.
        Assert.Equal((LoginOutcome.Failure, "bob", LoginReason.WrongPassword), (byIp["10.0.0.2"].Outcome, byIp["10.0.0.2"].User, byIp["10.0.0.2"].Reason));
        Assert.Equal(LoginOutcome.Incomplete, byIp["10.0.0.3"].Outcome);
        Assert.Equal(3, parser.Events.Select(e => e.Identity).Distinct().Count());
    }

    [Fact]
    public void Pid_seen_again_from_another_client_is_another_connection()
    {
        var parser = Feed.Postgres(
            "2024-08-03 14:44:05 UTC:10.0.0.1(1001):[unknown]@[unknown]:[101]:LOG:  connection received: host=10.0.0.1 port=1001",
            "2024-08-03 14:44:07 UTC:10.0.0.9(9009):eve@appdb:[101]:FATAL:  password authentication failed for user \"eve\"");

        Assert.Equal(2, parser.Events.Count);
        Assert.Equal((LoginOutcome.Incomplete, "10.0.0.1"), (parser.Events[0].Outcome, parser.Events[0].RemoteIp));
        Assert.Equal((LoginOutcome.Failure, "10.0.0.9", 9009), (parser.Events[1].Outcome, parser.Events[1].RemoteIp, parser.Events[1].RemotePort));
    }

    [Fact]
    public void New_connection_on_a_pid_ends_the_one_before()
    {
        var parser = Feed.Postgres(
            "2024-08-03 14:44:05 UTC:10.0.0.1(1001):[unknown]@[unknown]:[101]:LOG:  connection received: host=10.0.0.1 port=1001",
            "2024-08-03 14:44:05 UTC:10.0.0.1(1001):app@appdb:[101]:LOG:  connection authorized: user=app database=appdb",
            "2024-08-03 14:50:00 UTC:10.0.0.1(1444):[unknown]@[unknown]:[101]:LOG:  connection received: host=10.0.0.1 port=1444");

        Assert.Equal([LoginOutcome.Success, LoginOutcome.Incomplete], parser.Events.Select(e => e.Outcome));
    }

    [Theory]
    [InlineData("::1", "::1(50792)")]
    [InlineData("2001:db8::5", "2001:db8::5(5432)")]
    [InlineData("fe80::1%eth0", "fe80::1%eth0(5432)")]
    [InlineData("ip-10-0-0-5.ec2.internal", "ip-10-0-0-5.ec2.internal(5432)")]
    public void Remote_host_is_kept_as_written(string host, string remote)
    {
        int port = int.Parse(remote[(remote.IndexOf('(') + 1)..^1]);
        var e = Feed.Single(Feed.Postgres(
            $"2024-08-03 14:44:05 UTC:{remote}:[unknown]@[unknown]:[3000]:LOG:  connection received: host={host} port={port}",
            $"2024-08-03 14:44:05 UTC:{remote}:app@appdb:[3000]:LOG:  connection authorized: user=app database=appdb"));

        Assert.Equal((host, port), (e.RemoteIp, e.RemotePort));
        Assert.Equal(LoginOutcome.Success, e.Outcome);
    }

    [Fact]
    public void Local_socket_and_rdsadmin_are_internal()
    {
        var parser = Feed.Postgres(
            "2024-08-03 14:44:05 UTC:[local]:[unknown]@[unknown]:[10]:LOG:  connection received: host=[local]",
            "2024-08-03 14:44:05 UTC:[local]:postgres@postgres:[10]:LOG:  connection authorized: user=postgres database=postgres application_name=psql",
            "2024-08-03 14:44:05 UTC:10.1.2.3(5555):[unknown]@[unknown]:[11]:LOG:  connection received: host=10.1.2.3 port=5555",
            "2024-08-03 14:44:05 UTC:10.1.2.3(5555):rdsadmin@rdsadmin:[11]:LOG:  connection authorized: user=rdsadmin database=rdsadmin",
            "2024-08-03 14:44:05 UTC:10.1.2.4(6666):[unknown]@[unknown]:[12]:LOG:  connection received: host=10.1.2.4 port=6666",
            "2024-08-03 14:44:05 UTC:10.1.2.4(6666):app@appdb:[12]:LOG:  connection authorized: user=app database=appdb");

        Assert.Equal([true, true, false], parser.Events.Select(e => e.Internal));
        Assert.Equal(("[local]", (int?)null), (parser.Events[0].RemoteIp, parser.Events[0].RemotePort));
    }

    [Fact]
    public void Postgres18_authentication_only_logging_is_a_success()
    {
        // log_connections = 'authentication': no received or authorized lines. Trust logins log user= instead of identity=.
        var parser = Feed.Postgres(
            "2025-10-01 09:00:00.100 UTC [87] app@appdb LOG:  connection authenticated: identity=\"app\" method=scram-sha-256 (/var/lib/postgresql/data/pg_hba.conf:119)",
            "2025-10-01 09:00:01.100 UTC [96] postgres@postgres LOG:  connection authenticated: user=\"postgres\" method=trust (/var/lib/postgresql/data/pg_hba.conf:117)");

        Assert.Empty(parser.Errors);
        Assert.Equal([LoginOutcome.Success, LoginOutcome.Success], parser.Events.Select(e => e.Outcome));
        Assert.Equal(("app", "scram-sha-256"), (parser.Events[0].User, parser.Events[0].AuthMethod));
        Assert.Equal(("postgres", "trust"), (parser.Events[1].User, parser.Events[1].AuthMethod));
    }

    [Fact]
    public void Postgres18_connection_ready_settles_the_success()
    {
        var parser = new PostgresLogParser("pg.log", "db", null, TimeSpan.FromSeconds(60));
        parser.Feed("2025-10-01 09:00:00.100 UTC [87] [unknown]@[unknown] LOG:  connection received: host=10.0.0.8 port=40404", 1);
        parser.Feed("2025-10-01 09:00:00.101 UTC [87] app@appdb LOG:  connection authenticated: user=\"app\" method=trust (/var/lib/postgresql/data/pg_hba.conf:117)", 2);
        parser.Feed("2025-10-01 09:00:00.102 UTC [87] app@appdb LOG:  connection authorized: user=app database=appdb application_name=psql", 3);
        parser.Feed("2025-10-01 09:00:00.103 UTC [87] app@appdb LOG:  connection ready: setup total=1.032 ms, fork=0.146 ms, authentication=0.083 ms", 4);

        var e = Assert.Single(parser.Events);
        Assert.Equal((LoginOutcome.Success, "trust", "psql", 3L), (e.Outcome, e.AuthMethod, e.Application, e.Line));
        Assert.Equal(0, parser.LinesIgnored);
    }

    [Fact]
    public void Verbose_error_fields_after_the_severity_are_skipped()
    {
        // log_error_verbosity = verbose: "LOG:  00000: ..." and a LOCATION line after each message.
        var e = Feed.Single(Feed.Postgres(
            "2025-11-06 13:18:05.351 UTC [21449] LOG:  00000: connection received: host=10.0.0.8 port=40404",
            "2025-11-06 13:18:05.351 UTC [21449] LOCATION:  BackendInitialize, backend_startup.c:240",
            "2025-11-06 13:18:05.351 UTC [21449] LOG:  00000: connection authenticated: identity=\"pagila\" method=scram-sha-256 (/etc/postgresql/18/main/pg_hba.conf:128)",
            "2025-11-06 13:18:05.351 UTC [21449] LOCATION:  ClientAuthentication, auth.c:354",
            "2025-11-06 13:18:05.351 UTC [21449] LOG:  00000: connection authorized: user=pagila database=pagila application_name=psql",
            "2025-11-06 13:18:05.351 UTC [21449] LOCATION:  PerformAuthentication, postinit.c:309"));

        Assert.Equal((LoginOutcome.Success, "pagila", "10.0.0.8"), (e.Outcome, e.User, e.RemoteIp));
    }

    [Fact]
    public void Real_verbose_log_with_hostnames_and_cet_gives_one_event_per_connection()
    {
        // A LOCATION line follows "connection authenticated": it must not settle the login before it is authorized.
        var parser = Feed.Postgres(File.ReadAllLines(Feed.Fixture("postgres15-rds-prefix-verbose-cet.log")));

        Assert.Empty(parser.Errors);
        Assert.Equal(2, parser.Events.Count);
        var success = parser.Events[0];
        Assert.Equal((LoginOutcome.Success, "app", "appdb", "psql", "TLSv1.3", "scram-sha-256"),
            (success.Outcome, success.User, success.DatabaseName, success.Application, success.Ssl, success.AuthMethod));
        Assert.Equal(("localhost", 45514), (success.RemoteIp, success.RemotePort));
        Assert.Equal(TimeSpan.FromHours(1), success.Time.Offset);
        Assert.Equal((LoginOutcome.Failure, LoginReason.PasswordFailed), (parser.Events[1].Outcome, parser.Events[1].Reason));
    }

    [Fact]
    public void Identity_is_the_same_when_the_log_is_read_again()
    {
        var lines = File.ReadAllLines(Feed.Fixture("postgres15-rds-prefix.log"));
        var first = Feed.Postgres(lines).Events.Select(e => e.Identity).ToList();
        var second = Feed.Postgres(lines).Events.Select(e => e.Identity).ToList();

        Assert.Equal(first, second);
        Assert.Equal(first.Count, first.Distinct().Count());
    }

    [Fact]
    public void Crlf_line_endings_are_read_like_lf()
    {
        var e = Feed.Single(Feed.Postgres(
            P + "[unknown]@[unknown]:[3000]:LOG:  connection received: host=10.0.0.75 port=48820\r",
            P + "app@appdb:[3000]:LOG:  connection authorized: user=app database=appdb application_name=psql\r"));

        Assert.Equal("psql", e.Application);
    }
}
