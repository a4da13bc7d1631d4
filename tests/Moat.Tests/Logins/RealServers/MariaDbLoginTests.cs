using System.Text.RegularExpressions;

namespace Moat.Tests.Logins.RealServers;

/// <summary>
/// Login detection on a real MariaDB server's server_audit log (CONNECT events): the shared scenarios and
/// checks of the raw lines. The two Discovery types need connections the log marks as never having tried to
/// log in; the audit log has no such event (a bare TCP connection shows as FAILED_CONNECT with error 1158),
/// so they are covered on PostgreSQL only.
/// </summary>
public sealed class MariaDbLoginTests(MariaDbServer server) : LoginScenarios(server), IClassFixture<MariaDbServer>
{
    // serverhost is the machine's host name; the client is named by address thanks to --skip-name-resolve.
    private static int Lines(string text, string pattern) =>
        Regex.Matches(text, @"^\d{8} \d\d:\d\d:\d\d,[^,]*," + pattern + "$", RegexOptions.Multiline).Count;

    [Fact]
    public void The_audit_log_has_the_raw_lines_login_detection_reads()
    {
        var t = Traffic;
        foreach (var phase in LoginTraffic.PhaseNames)
            foreach (var line in t[phase].Split('\n', StringSplitOptions.RemoveEmptyEntries))
                Assert.True(Regex.IsMatch(line, @"^\d{8} \d\d:\d\d:\d\d,[^,]*,[^,]*,127\.0\.0\.1,\d+,\d+,(CONNECT|FAILED_CONNECT|DISCONNECT),"),
                    $"phase {phase}: an unexpected audit line: {line}");

        var learning = t["learning"];
        Assert.Equal(3, Lines(learning, @"app,127\.0\.0\.1,\d+,0,CONNECT,orders,,0"));
        Assert.Equal(1, Lines(learning, @"analyst,127\.0\.0\.1,\d+,0,CONNECT,orders,,0"));
        Assert.Equal(1, Lines(learning, @"app,127\.0\.0\.1,\d+,0,FAILED_CONNECT,,,1045"));
        Assert.Equal(5, Lines(learning, @"[^,]*,127\.0\.0\.1,\d+,0,DISCONNECT,[^,]*,,0"));

        Assert.Equal(1, Lines(t["analyst-reports"], @"analyst,127\.0\.0\.1,\d+,0,CONNECT,reports,,0"));
        Assert.Equal(3, Lines(t["unknown-user"], @"ghost,127\.0\.0\.1,\d+,0,FAILED_CONNECT,,,1045"));
        Assert.Equal(2, Lines(t["unknown-database"], @"app,127\.0\.0\.1,\d+,0,FAILED_CONNECT,,,1044"));
        Assert.Equal(6, Lines(t["brute-force"], @"app,127\.0\.0\.1,\d+,0,FAILED_CONNECT,,,1045"));
        Assert.Equal(1, Lines(t["brute-force"], @"app,127\.0\.0\.1,\d+,0,CONNECT,orders,,0"));
        Assert.Equal(3, Lines(t["app-failure"], @"app,127\.0\.0\.1,\d+,0,FAILED_CONNECT,,,1045"));

        // A connection closed before the handshake: FAILED_CONNECT with no user and ER_NET_READ_ERROR (1158).
        Assert.Equal(3, Lines(t["probe"], @",127\.0\.0\.1,\d+,0,FAILED_CONNECT,,,1158"));
    }

    [Fact]
    public void The_learning_phase_fits_in_the_learning_period_and_the_rest_comes_after_it()
    {
        var t = Traffic;
        var learning = MariaDbServer.Times(t["learning"]);
        var replay = MariaDbServer.Times(t["replay"]);
        Assert.True((learning.Max() - learning.Min()).TotalSeconds < 3, $"the learning phase spans {learning.Min():T}..{learning.Max():T}, longer than the 3 s learning period");
        Assert.True((replay.Min() - learning.Min()).TotalSeconds > 3, $"the replay ({replay.Min():T}) starts within the learning period from {learning.Min():T}");
        foreach (var phase in LoginTraffic.PhaseNames.Skip(2))
            Assert.True(MariaDbServer.Times(t[phase]).Min() >= replay.Min(), $"phase {phase} is older than the replay");
    }
}
