using System.Text.RegularExpressions;

namespace Moat.Tests.Logins.RealServers;

/// <summary>How many attempts of each outcome a phase made, so its log lines can be waited for.</summary>
public sealed record PhaseCounts(int Successes, int Failures, int Probes);

/// <summary>A real database server the login tests drive over TCP on 127.0.0.1.</summary>
public interface ILoginServer
{
    /// <summary>The value of moat's --kind for this server's log.</summary>
    string Kind { get; }

    int Port { get; }

    /// <summary>The log file login detection reads (PostgreSQL's server log, MariaDB's server_audit log).</summary>
    string LogPath { get; }

    /// <summary>Whether the log shows a connection that never tried to authenticate as such (PostgreSQL does).</summary>
    bool LogsIncompleteConnections { get; }

    /// <summary>One login with the command-line client over TCP; true when the server accepted it.</summary>
    ToolRun Login(string user, string password, string database, string? application);

    /// <summary>True when <paramref name="logText"/> holds every line the attempts in <paramref name="counts"/> write.</summary>
    bool HasLinesFor(string logText, PhaseCounts counts);

    /// <summary>The traffic recorded once per server for all the tests of its class.</summary>
    RecordedTraffic Traffic { get; }
}

/// <summary>
/// The log lines of each phase of real traffic, captured from the server's log file. Tests copy a phase into a
/// file of their own, optionally posing as an outside caller (see <see cref="Write"/>).
/// </summary>
public sealed class RecordedTraffic(IReadOnlyDictionary<string, string> phases)
{
    public IReadOnlyDictionary<string, string> Phases { get; } = phases;

    public string this[string phase] => Phases.TryGetValue(phase, out var text) ? text : throw new KeyNotFoundException("no phase " + phase);

    private static readonly Regex Loopback = new(@"(?<![0-9.])127\.0\.0\.1(?![0-9])", RegexOptions.Compiled);

    /// <summary>
    /// Writes a phase's lines to a file in <paramref name="dir"/>. Every connection really came from 127.0.0.1;
    /// to model a caller from outside, <paramref name="address"/> replaces 127.0.0.1 textually in the copied lines
    /// (a documentation address standing in for a public one: 203.0.113.x an attacker, 198.51.100.x an address on
    /// a threat list, 192.0.2.x a Tor exit node). Nothing else in the lines changes: times, users, ports, PIDs.
    /// </summary>
    public string Write(string dir, string phase, string? address = null)
    {
        var text = this[phase];
        if (address is not null) text = Loopback.Replace(text, address);
        var path = Path.Combine(dir, address is null ? $"{phase}.log" : $"{phase}-{address}.log");
        File.WriteAllText(path, text);
        return path;
    }
}

/// <summary>
/// The traffic every login test reads, made once per server with the real clients:
/// <list type="bullet">
/// <item>learning: the application user app (application orders-api) on database orders, the analyst with psql,
/// one mistyped password of app and (PostgreSQL) one health-check probe;</item>
/// <item>then a pause longer than the 3 s learning period the tests give moat (it measures event time);</item>
/// <item>replay: the same normal traffic again, which must give no finding;</item>
/// <item>attack phases, each from 127.0.0.1 and rewritten by the tests to an outside address.</item>
/// </list>
/// Log timestamps have whole seconds, so the learning phase must fit in under 3 s and the replay starts at
/// least 4 s after it ends.
/// </summary>
public static class LoginTraffic
{
    public const string AppPassword = "app-Pass-7731";
    public const string AnalystPassword = "analyst-Pass-4410";
    public const string WrongPassword = "not-the-password";
    public const string UnknownUser = "ghost";
    public const string UnknownDatabase = "nope";
    public const string AppName = "orders-api";

    /// <summary>The pause between the end of the learning phase and the start of the replay.</summary>
    public static readonly TimeSpan PauseAfterLearning = TimeSpan.FromSeconds(4.2);

    public static readonly string[] PhaseNames =
        ["learning", "replay", "analyst-reports", "unknown-user", "unknown-database", "brute-force", "app-success", "app-failure", "probe"];

    public static RecordedTraffic Record(ILoginServer server)
    {
        var phases = new Dictionary<string, string>(StringComparer.Ordinal);

        void Phase(string name, Action<Driver> act)
        {
            var offset = ServerTools.Length(server.LogPath);
            var driver = new Driver(server, name);
            act(driver);
            var counts = new PhaseCounts(driver.Successes, driver.Failures, driver.Probes);
            phases[name] = ServerTools.WaitForLines(server.LogPath, offset, t => server.HasLinesFor(t, counts),
                $"the lines of phase '{name}' ({counts})");
        }

        void Normal(Driver d)
        {
            for (int i = 0; i < 3; i++) d.Ok("app", AppPassword, "orders", AppName);
            d.Ok("analyst", AnalystPassword, "orders", null);
            d.Fail("app", WrongPassword, "orders", AppName);
            if (server.LogsIncompleteConnections) d.Probe(); // a load balancer's health check
        }

        Phase("learning", Normal);
        Thread.Sleep(PauseAfterLearning); // from the end of the learning phase: its last line is already written
        Phase("replay", Normal);

        Phase("analyst-reports", d => d.Ok("analyst", AnalystPassword, "reports", null));
        Phase("unknown-user", d =>
        {
            for (int i = 0; i < 3; i++) d.Fail(UnknownUser, WrongPassword, "orders", null);
        });
        Phase("unknown-database", d =>
        {
            for (int i = 0; i < 2; i++) d.Fail("app", AppPassword, UnknownDatabase, AppName);
        });
        Phase("brute-force", d =>
        {
            for (int i = 0; i < 6; i++) d.Fail("app", WrongPassword, "orders", null);
            d.Ok("app", AppPassword, "orders", null);
        });
        Phase("app-success", d =>
        {
            for (int i = 0; i < 2; i++) d.Ok("app", AppPassword, "orders", AppName);
        });
        Phase("app-failure", d =>
        {
            for (int i = 0; i < 3; i++) d.Fail("app", WrongPassword, "orders", AppName);
        });
        Phase("probe", d =>
        {
            for (int i = 0; i < 3; i++) d.Probe();
        });
        return new RecordedTraffic(phases);
    }

    private sealed class Driver(ILoginServer server, string phase)
    {
        public int Successes, Failures, Probes;

        public void Ok(string user, string password, string database, string? application)
        {
            var run = server.Login(user, password, database, application);
            if (run.ExitCode != 0)
                throw new InvalidOperationException($"phase {phase}: the login of {user} to {database} should have succeeded: {run}");
            Successes++;
        }

        public void Fail(string user, string password, string database, string? application)
        {
            var run = server.Login(user, password, database, application);
            if (run.ExitCode == 0)
                throw new InvalidOperationException($"phase {phase}: the login of {user} to {database} should have been refused: {run}");
            Failures++;
        }

        public void Probe()
        {
            ServerTools.Probe(server.Port);
            Probes++;
        }
    }
}
