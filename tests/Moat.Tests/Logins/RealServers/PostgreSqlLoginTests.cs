using System.Text.RegularExpressions;
using static Moat.Tests.Logins.RealServers.LoginFindingAssert;
using static Moat.Tests.Logins.RealServers.RdsFindingTypes;

namespace Moat.Tests.Logins.RealServers;

/// <summary>
/// Login detection on a real PostgreSQL server's log (RDS/Aurora log_line_prefix, log_connections,
/// log_disconnections): the shared scenarios, the two probe types, and checks of the raw lines themselves.
/// </summary>
public sealed class PostgreSqlLoginTests(PostgreSqlServer server) : LoginScenarios(server), IClassFixture<PostgreSqlServer>
{
    // '%t:%r:%u@%d:[%p]:' for a TCP client: "2026-01-01 09:00:00 UTC:127.0.0.1(51234):app@orders:[4242]:LOG:  ..."
    private static readonly Regex TcpLine = new(@"^\d{4}-\d\d-\d\d \d\d:\d\d:\d\d UTC:127\.0\.0\.1\(\d+\):[^@:]+@[^:]+:\[\d+\]:(LOG|FATAL|DETAIL):  ", RegexOptions.Compiled);

    private static int Count(string text, string needle) => ServerTools.CountOccurrences(text, needle);

    [Fact]
    public void The_log_has_the_raw_lines_login_detection_reads()
    {
        var t = Traffic;
        foreach (var phase in LoginTraffic.PhaseNames)
        {
            var lines = t[phase].Split('\n', StringSplitOptions.RemoveEmptyEntries).Where(l => !l.StartsWith('\t')).ToList();
            Assert.NotEmpty(lines);
            foreach (var line in lines)
                Assert.True(TcpLine.IsMatch(line), $"phase {phase}: a line without the RDS prefix for a TCP client: {line}");
        }

        var learning = t["learning"];
        Assert.Equal(6, Count(learning, "LOG:  connection received: host=127.0.0.1 port="));
        Assert.Equal(3, Count(learning, "LOG:  connection authorized: user=app database=orders application_name=orders-api"));
        Assert.Equal(1, Count(learning, "LOG:  connection authorized: user=analyst database=orders application_name=psql"));
        Assert.Equal(4, Count(learning, "LOG:  disconnection: session time: "));
        Assert.Equal(1, Count(learning, "FATAL:  password authentication failed for user \"app\""));

        Assert.Equal(3, Count(t["unknown-user"], "FATAL:  password authentication failed for user \"ghost\""));
        Assert.Equal(3, Count(t["unknown-user"], "DETAIL:  Role \"ghost\" does not exist."));
        // An unknown database is refused after authentication: "connection authorized" comes before the FATAL.
        Assert.Equal(2, Count(t["unknown-database"], "LOG:  connection authorized: user=app database=nope application_name=orders-api"));
        Assert.Equal(2, Count(t["unknown-database"], "FATAL:  database \"nope\" does not exist"));
        Assert.Equal(6, Count(t["brute-force"], "FATAL:  password authentication failed for user \"app\""));
        Assert.Equal(1, Count(t["brute-force"], "LOG:  connection authorized: user=app database=orders application_name=psql"));
        Assert.Equal(1, Count(t["analyst-reports"], "LOG:  connection authorized: user=analyst database=reports application_name=psql"));

        // A probe leaves exactly one line: "connection received", with user and database still unknown.
        var probe = t["probe"].Split('\n', StringSplitOptions.RemoveEmptyEntries);
        Assert.Equal(3, probe.Length);
        Assert.All(probe, l => Assert.Contains(":[unknown]@[unknown]:", l));
        Assert.All(probe, l => Assert.Contains("LOG:  connection received: host=127.0.0.1 port=", l));
    }

    [Fact]
    public void The_learning_phase_fits_in_the_learning_period_and_the_rest_comes_after_it()
    {
        var t = Traffic;
        var learning = PostgreSqlServer.Times(t["learning"]);
        var replay = PostgreSqlServer.Times(t["replay"]);
        Assert.True((learning.Max() - learning.Min()).TotalSeconds < 3, $"the learning phase spans {learning.Min():T}..{learning.Max():T}, longer than the 3 s learning period");
        Assert.True((replay.Min() - learning.Min()).TotalSeconds > 3, $"the replay ({replay.Min():T}) starts within the learning period from {learning.Min():T}");
        foreach (var phase in LoginTraffic.PhaseNames.Skip(2))
            Assert.True(PostgreSqlServer.Times(t[phase]).Min() >= replay.Min(), $"phase {phase} is older than the replay");
    }

    [Fact]
    public void Connections_from_a_threat_list_address_that_never_log_in_are_a_medium_discovery_finding()
    {
        var findings = LearnThen("probe", ListedProbeIp, threatList: ThreatList());
        var f = Single(findings, MaliciousProbe);
        Assert.True(findings.Count == 1, "a probe gives only the discovery finding:\n" + Describe(findings));
        Is(f, MaliciousProbe, "medium", Instance, null, ListedProbeIp);
        Counts(f, successful: 0, failed: 0, incomplete: 3, count: 3);
        Assert.False(string.IsNullOrEmpty(Resource(f, "threatListName")), "threatListName missing in " + Describe(f));
    }

    [Fact]
    public void Connections_from_a_tor_exit_that_never_log_in_are_a_medium_discovery_finding()
    {
        var findings = LearnThen("probe", TorProbeIp, torExits: TorExits());
        var f = Single(findings, TorProbe);
        Assert.True(findings.Count == 1, "a probe gives only the discovery finding:\n" + Describe(findings));
        Is(f, TorProbe, "medium", Instance, null, TorProbeIp);
        Counts(f, successful: 0, failed: 0, incomplete: 3, count: 3);
    }
}
