using Moat.Emit;
using Moat.Logins;
using Moat.Rules;

namespace Moat.Tests.Logins;

/// <summary>The detector on login events made by hand: every finding type, the learning period, aggregation, idempotency.</summary>
public sealed class LoginDetectorTests
{
    private static readonly DateTimeOffset T0 = new(2026, 1, 1, 9, 0, 0, TimeSpan.Zero);
    private long _line;

    private sealed class ListIntel(Dictionary<string, string>? lists = null, HashSet<string>? tor = null, Dictionary<string, string>? asn = null) : ILoginIntel
    {
        public string? ThreatList(string ip) => lists is not null && lists.TryGetValue(ip, out var l) ? l : null;
        public bool IsTorExit(string ip) => tor?.Contains(ip) ?? false;
        public string? AsnOrg(string ip) => asn is not null && asn.TryGetValue(ip, out var a) ? a : null;
        public bool IsPrivate(string ip) => NoIntel.Instance.IsPrivate(ip);
    }

    private LoginEvent Ev(DateTimeOffset t, string user, string ip, LoginOutcome outcome, string app = "orders-api", string db = "orders", string instance = "orders-db") =>
        new(t, instance, "orders-cluster", "postgres", user, db, app, "TLSv1.3", "md5", ip, 5432, outcome, outcome == LoginOutcome.Failure ? "password authentication failed" : null,
            "test.log", ++_line, $"{instance}|{_line}");

    /// <summary>Three weeks of normal traffic: the app from its subnet every hour of the working day.</summary>
    private IEnumerable<LoginEvent> Normal(int days = 21)
    {
        for (int d = 0; d < days; d++)
            for (int h = 0; h < 8; h++)
                yield return Ev(T0.AddDays(d).AddHours(h), "app", $"10.0.1.{10 + h}", LoginOutcome.Success);
    }

    private static List<Finding> Run(LoginDetector detector, IEnumerable<LoginEvent> events)
    {
        foreach (var e in events) detector.Add(e);
        return detector.Finish();
    }

    private LoginDetector Detector(IProfileStore? store = null, ILoginIntel? intel = null) =>
        new(store ?? new InMemoryProfileStore(), intel ?? new ListIntel(), new LoginDetectionOptions());

    [Fact]
    public void Normal_traffic_after_learning_gives_no_finding()
    {
        Assert.Empty(Run(Detector(), Normal()));
    }

    [Fact]
    public void An_unseen_user_from_a_public_address_after_learning_is_a_medium_anomalous_success_with_history()
    {
        var after = T0.AddDays(22);
        var findings = Run(Detector(), Normal().Append(Ev(after, "mallory", "203.0.113.50", LoginOutcome.Success, app: "psql")));
        var f = Assert.Single(findings);
        Assert.Equal(LoginDetector.AnomalousSuccess, f.RuleId);
        Assert.Equal(Severity.Medium, f.Severity);
        Assert.Equal("mallory", f.Login!.User);
        Assert.Contains(new KeyValuePair<string, string>("user", "mallory"), f.Login.Unusual);
        var users = f.Login.Historical.Single(h => h.Key == "user").Value;
        Assert.Equal(("app", 168L, "FREQUENT"), users[0]);
    }

    [Fact]
    public void The_same_user_from_an_unseen_private_network_is_low()
    {
        var f = Assert.Single(Run(Detector(), Normal().Append(Ev(T0.AddDays(22), "app", "10.9.9.9", LoginOutcome.Success))));
        Assert.Equal(Severity.Low, f.Severity);
        Assert.Contains(f.Login!.Unusual, u => u.Key == "network" && u.Value == "10.9.9.0/24");
    }

    [Fact]
    public void A_human_tool_on_an_application_database_is_unusual()
    {
        var f = Assert.Single(Run(Detector(), Normal().Append(Ev(T0.AddDays(22), "app", "10.0.1.10", LoginOutcome.Success, app: "psql"))));
        Assert.Contains(new KeyValuePair<string, string>("application", "psql"), f.Login!.Unusual);
    }

    [Fact]
    public void Nothing_anomalous_is_reported_during_the_learning_period_but_threat_lists_are()
    {
        var intel = new ListIntel(lists: new() { ["198.51.100.66"] = "firehol_level1" });
        var events = new[]
        {
            Ev(T0, "app", "10.0.1.10", LoginOutcome.Success),
            Ev(T0.AddDays(1), "mallory", "203.0.113.50", LoginOutcome.Success),
            Ev(T0.AddDays(2), "app", "198.51.100.66", LoginOutcome.Failure),
        };
        var f = Assert.Single(Run(Detector(intel: intel), events));
        Assert.Equal(LoginDetector.MaliciousFailure, f.RuleId);
        Assert.Equal(Severity.Medium, f.Severity);
        Assert.Equal("firehol_level1", f.Login!.ThreatListName);
    }

    [Fact]
    public void Failures_then_an_anomalous_success_from_the_same_public_address_is_a_successful_brute_force()
    {
        var t = T0.AddDays(22);
        var attack = Enumerable.Range(0, 6).Select(i => Ev(t.AddMinutes(i), "app", "203.0.113.77", LoginOutcome.Failure))
            .Append(Ev(t.AddMinutes(7), "app", "203.0.113.77", LoginOutcome.Success, app: "psql"));
        var findings = Run(Detector(), Normal().Concat(attack));
        var brute = Assert.Single(findings, f => f.RuleId == LoginDetector.SuccessfulBruteForce);
        Assert.Equal(Severity.High, brute.Severity);
        Assert.Equal(6, brute.Login!.FailedLoginCount);
        Assert.Equal(1, brute.Login.SuccessfulLoginCount);
        // The six unusual failures are one aggregated FailedLogin finding, not six.
        var failed = Assert.Single(findings, f => f.RuleId == LoginDetector.AnomalousFailure);
        Assert.Equal(6, failed.Login!.Count);
        Assert.Equal(Severity.Low, failed.Severity);
        Assert.DoesNotContain(findings, f => f.RuleId == LoginDetector.AnomalousSuccess);
    }

    [Fact]
    public void An_anomalous_success_after_failures_from_other_public_addresses_is_high()
    {
        var t = T0.AddDays(22);
        var spray = Enumerable.Range(0, 5).Select(i => Ev(t.AddMinutes(i), "app", $"198.51.100.{i + 1}", LoginOutcome.Failure));
        var findings = Run(Detector(), Normal().Concat(spray).Append(Ev(t.AddMinutes(10), "app", "203.0.113.9", LoginOutcome.Success)));
        var f = Assert.Single(findings, f => f.RuleId == LoginDetector.AnomalousSuccess);
        Assert.Equal(Severity.High, f.Severity);
    }

    [Fact]
    public void Failures_of_a_known_user_from_a_known_network_are_not_anomalous()
    {
        var findings = Run(Detector(), Normal().Append(Ev(T0.AddDays(22), "app", "10.0.1.12", LoginOutcome.Failure)));
        Assert.Empty(findings);
    }

    [Theory]
    [InlineData(LoginOutcome.Success, LoginDetector.MaliciousSuccess, LoginDetector.TorSuccess, Severity.High)]
    [InlineData(LoginOutcome.Failure, LoginDetector.MaliciousFailure, LoginDetector.TorFailure, Severity.Medium)]
    [InlineData(LoginOutcome.Incomplete, LoginDetector.MaliciousProbe, LoginDetector.TorProbe, Severity.Medium)]
    public void Threat_list_and_tor_addresses_give_their_types_for_each_outcome(LoginOutcome outcome, string malicious, string tor, Severity severity)
    {
        var intel = new ListIntel(lists: new() { ["198.51.100.66"] = "blocklist" }, tor: ["185.220.101.1"]);
        var findings = Run(Detector(intel: intel), [Ev(T0, "app", "198.51.100.66", outcome), Ev(T0.AddMinutes(1), "app", "185.220.101.1", outcome)]);
        Assert.Equal(severity, Assert.Single(findings, f => f.RuleId == malicious).Severity);
        Assert.Equal(severity, Assert.Single(findings, f => f.RuleId == tor).Severity);
    }

    [Fact]
    public void Profiles_persist_between_runs_and_rescanning_the_same_events_changes_nothing()
    {
        var store = new InMemoryProfileStore();
        var normal = Normal().ToList();
        Assert.Empty(Run(Detector(store), normal));
        // The next run sees only the new day's logins yet already knows the baseline.
        var next = Detector(store);
        var findings = Run(next, normal.Concat([Ev(T0.AddDays(22), "mallory", "203.0.113.50", LoginOutcome.Success)]));
        Assert.Single(findings);
        Assert.Equal(normal.Count, next.AlreadySeen);
        // And once more: everything was seen, nothing is reported twice.
        var again = Detector(store);
        Assert.Empty(Run(again, normal.Concat([Ev(T0.AddDays(22), "mallory", "203.0.113.50", LoginOutcome.Success) with { Identity = $"orders-db|{_line}" }])));
    }

    [Fact]
    public void Out_of_order_lines_within_the_reorder_window_are_judged_in_time_order()
    {
        var t = T0.AddDays(22);
        // The success is written first, the failures (earlier in time) after it, as Aurora audit files do.
        var events = Normal().Concat(new[] { Ev(t.AddMinutes(7), "app", "203.0.113.77", LoginOutcome.Success, app: "psql") })
            .Concat(Enumerable.Range(0, 6).Select(i => Ev(t.AddMinutes(i), "app", "203.0.113.77", LoginOutcome.Failure)));
        var findings = Run(Detector(), events);
        Assert.Single(findings, f => f.RuleId == LoginDetector.SuccessfulBruteForce);
    }

    [Fact]
    public void Internal_connections_are_left_out_by_default()
    {
        var e = Ev(T0, "rdsadmin", "198.51.100.66", LoginOutcome.Success) with { Internal = true };
        var intel = new ListIntel(lists: new() { ["198.51.100.66"] = "blocklist" });
        var d = Detector(intel: intel);
        Assert.Empty(Run(d, [e]));
        Assert.Equal(1, d.InternalSkipped);
    }

    [Fact]
    public void Occurrences_far_apart_are_separate_findings()
    {
        var intel = new ListIntel(lists: new() { ["198.51.100.66"] = "blocklist" });
        var findings = Run(Detector(intel: intel), [
            Ev(T0, "app", "198.51.100.66", LoginOutcome.Failure), Ev(T0.AddMinutes(30), "app", "198.51.100.66", LoginOutcome.Failure),
            Ev(T0.AddHours(5), "app", "198.51.100.66", LoginOutcome.Failure)]);
        Assert.Equal([2L, 1L], findings.Select(f => f.Login!.Count).ToArray());
    }

    [Fact]
    public void Frequency_classes_follow_logins_per_month()
    {
        var first = T0;
        var now = T0.AddDays(60);
        Assert.Equal(Frequency.Unseen, DatabaseProfile.Classify(null, first, now));
        Assert.Equal(Frequency.Rare, DatabaseProfile.Classify(new ValueStat { Count = 1 }, first, now));
        Assert.Equal(Frequency.Infrequent, DatabaseProfile.Classify(new ValueStat { Count = 4 }, first, now));
        Assert.Equal(Frequency.Frequent, DatabaseProfile.Classify(new ValueStat { Count = 60 }, first, now));
    }
}
