using System.Text.Json;
using Moat.Tests.Support;
using static Moat.Tests.Logins.RealServers.LoginFindingAssert;
using static Moat.Tests.Logins.RealServers.RdsFindingTypes;

namespace Moat.Tests.Logins.RealServers;

/// <summary>
/// Login detection on a real server's log: the scenarios both engines share. Each test scans the learning
/// phase (normal traffic from 127.0.0.1) together with one attack phase, posed as an outside caller by
/// rewriting the address (see <see cref="RecordedTraffic.Write"/>), with a state file of its own.
/// </summary>
public abstract class LoginScenarios : IDisposable
{
    // Stand-ins for outside callers (RFC 5737 documentation ranges, which moat treats as public).
    protected const string AttackerIp = "203.0.113.10";
    protected const string GuesserIp = "203.0.113.20";
    protected const string WrongDatabaseIp = "203.0.113.21";
    protected const string BruteForceIp = "203.0.113.77";
    protected const string ListedLoginIp = "198.51.100.10";
    protected const string ListedFailureIp = "198.51.100.11";
    protected const string ListedProbeIp = "198.51.100.12";
    protected const string TorLoginIp = "192.0.2.10";
    protected const string TorFailureIp = "192.0.2.11";
    protected const string TorProbeIp = "192.0.2.12";

    private readonly TempDir _dir = new();

    protected ILoginServer Server { get; }

    protected RecordedTraffic Traffic => Server.Traffic;

    protected string Dir => _dir.Path;

    /// <summary>The --db-instance every scan names: resource.id of each finding.</summary>
    protected static string Instance => LoginScan.DefaultInstance;

    protected LoginScenarios(ILoginServer server) => Server = server;

    protected LoginScan NewScan(string name = "state") => new(Server.Kind, Path.Combine(Dir, name + ".db"));

    protected string Phase(string phase, string? address = null) => Traffic.Write(Dir, phase, address);

    protected string ThreatList() => _dir.File("threat-list.txt", $"{ListedLoginIp}\n{ListedFailureIp}\n{ListedProbeIp}\n");

    protected string TorExits() => _dir.File("tor-exits.txt", $"{TorLoginIp}\n{TorFailureIp}\n{TorProbeIp}\n");

    /// <summary>Learning traffic plus one phase from <paramref name="address"/>, in one scan with a new state.</summary>
    protected List<JsonElement> LearnThen(string phase, string address, string? threatList = null, string? torExits = null) =>
        NewScan().Run([Phase("learning"), Phase(phase, address)], threatList, torExits);

    public void Dispose()
    {
        _dir.Dispose();
        GC.SuppressFinalize(this);
    }

    [Fact]
    public void A_replay_of_normal_traffic_after_learning_gives_no_finding()
    {
        var scan = NewScan();
        var learning = scan.Run(Phase("learning"));
        Assert.True(learning.Count == 0, "the learning phase gave findings:\n" + Describe(learning));
        // The replay comes more than the learning period after the first login, so it is judged, against the saved profile.
        var replay = scan.Run(Phase("replay"));
        Assert.True(replay.Count == 0, "the replay of normal traffic gave findings:\n" + Describe(replay));
    }

    [Fact]
    public void Rescanning_the_same_files_gives_no_new_finding()
    {
        var scan = NewScan();
        string[] files = [Phase("learning"), Phase("replay"), Phase("analyst-reports", AttackerIp)];
        var first = scan.Run(files);
        Single(first, AnomalousSuccess);
        var again = scan.Run(files);
        Assert.True(again.Count == 0, "re-scanning the same files gave findings again:\n" + Describe(again));
        var part = scan.Run(Phase("analyst-reports", AttackerIp));
        Assert.True(part.Count == 0, "re-scanning the attack file alone gave findings again:\n" + Describe(part));
    }

    [Fact]
    public void A_known_user_from_an_unseen_public_network_is_a_medium_anomalous_successful_login()
    {
        var findings = LearnThen("analyst-reports", AttackerIp);
        var f = Single(findings, AnomalousSuccess);
        Assert.True(findings.Count == 1, "expected only the anomalous login:\n" + Describe(findings));
        Is(f, AnomalousSuccess, "medium", Instance, "analyst", AttackerIp);
        Counts(f, successful: 1, failed: 0, incomplete: 0, count: 1);
        HasUnusual(f, "network", "203.0.113.0/24");
    }

    [Fact]
    public void Failed_logins_of_an_unknown_user_are_one_low_anomalous_failed_login_finding()
    {
        var findings = LearnThen("unknown-user", GuesserIp);
        var f = Single(findings, AnomalousFailure);
        Assert.True(findings.Count == 1, "expected only the failed-login finding:\n" + Describe(findings));
        Is(f, AnomalousFailure, "low", Instance, LoginTraffic.UnknownUser, GuesserIp);
        Counts(f, successful: 0, failed: 3, incomplete: 0, count: 3);
        HasUnusual(f, "user", LoginTraffic.UnknownUser);
    }

    [Fact]
    public void Logins_to_an_unknown_database_are_failed_logins_not_successes()
    {
        // PostgreSQL authenticates first ("connection authorized") and only then refuses the database (FATAL).
        var findings = LearnThen("unknown-database", WrongDatabaseIp);
        var f = Single(findings, AnomalousFailure);
        None(findings, AnomalousSuccess);
        Assert.True(findings.Count == 1, "expected only the failed-login finding:\n" + Describe(findings));
        Is(f, AnomalousFailure, "low", Instance, "app", WrongDatabaseIp);
        Counts(f, successful: 0, failed: 2, incomplete: 0, count: 2);
    }

    [Fact]
    public void Repeated_failures_then_a_success_from_one_public_address_is_a_high_successful_brute_force()
    {
        var findings = LearnThen("brute-force", BruteForceIp);
        var brute = Single(findings, SuccessfulBruteForce);
        Is(brute, SuccessfulBruteForce, "high", Instance, "app", BruteForceIp);
        Counts(brute, successful: 1, failed: 6, incomplete: 0, count: 1);
        // The six failures are one aggregated finding; the success is the brute force, not also an anomalous login.
        var failed = Single(findings, AnomalousFailure);
        Is(failed, AnomalousFailure, "low", Instance, "app", BruteForceIp);
        Assert.Equal(6, ResourceCount(failed, "failedLoginCount"));
        Assert.Equal(6, ResourceCount(failed, "count"));
        None(findings, AnomalousSuccess);
        Assert.True(findings.Count == 2, "expected the brute force and the failed logins only:\n" + Describe(findings));
    }

    [Fact]
    public void A_successful_login_from_a_threat_list_address_is_high()
    {
        var findings = LearnThen("app-success", ListedLoginIp, threatList: ThreatList());
        var f = Single(findings, MaliciousSuccess);
        Is(f, MaliciousSuccess, "high", Instance, "app", ListedLoginIp);
        Counts(f, successful: 2, failed: 0, incomplete: 0, count: 2);
        Assert.False(string.IsNullOrEmpty(Resource(f, "threatListName")), "threatListName missing in " + Describe(f));
        None(findings, TorSuccess);
    }

    [Fact]
    public void A_failed_login_from_a_threat_list_address_is_medium()
    {
        var findings = LearnThen("app-failure", ListedFailureIp, threatList: ThreatList());
        var f = Single(findings, MaliciousFailure);
        Is(f, MaliciousFailure, "medium", Instance, "app", ListedFailureIp);
        Counts(f, successful: 0, failed: 3, incomplete: 0, count: 3);
        Assert.False(string.IsNullOrEmpty(Resource(f, "threatListName")), "threatListName missing in " + Describe(f));
        None(findings, TorFailure);
    }

    [Fact]
    public void A_successful_login_from_a_tor_exit_is_high()
    {
        var findings = LearnThen("app-success", TorLoginIp, torExits: TorExits());
        var f = Single(findings, TorSuccess);
        Is(f, TorSuccess, "high", Instance, "app", TorLoginIp);
        Counts(f, successful: 2, failed: 0, incomplete: 0, count: 2);
        None(findings, MaliciousSuccess);
    }

    [Fact]
    public void A_failed_login_from_a_tor_exit_is_medium()
    {
        var findings = LearnThen("app-failure", TorFailureIp, torExits: TorExits());
        var f = Single(findings, TorFailure);
        Is(f, TorFailure, "medium", Instance, "app", TorFailureIp);
        Counts(f, successful: 0, failed: 3, incomplete: 0, count: 3);
        None(findings, MaliciousFailure);
    }
}
