using System.Security.Cryptography;
using System.Text;
using Moat.Alerts;
using Moat.Rules;

namespace Moat.Tests.Alerts;

/// <summary>Matches → alerts: per rule and dedup key, on event time, with period, threshold and distinct values.</summary>
public sealed class AlertGrouperTests
{
    private static readonly DateTimeOffset T0 = new(2026, 3, 2, 8, 0, 0, TimeSpan.Zero);
    private static readonly IReadOnlyDictionary<string, (string Status, string? Reason)> NoStatus = new Dictionary<string, (string, string?)>();

    private static StoredMatch M(string eventKey, double minutes, string key = "k1", string rule = "R.One", Severity severity = Severity.High,
        int periodMinutes = 60, int threshold = 1, string? distinct = null) =>
        new(rule, eventKey, key, T0.AddMinutes(minutes), severity, "title of " + rule, "123456789012", "arn:aws:iam::123456789012:user/alice",
            TimeSpan.FromMinutes(periodMinutes), threshold, distinct, "{}");

    private static string Id(string rule, string key, string firstEventKey) =>
        Convert.ToHexStringLower(SHA256.HashData(Encoding.UTF8.GetBytes($"{rule}\u001f{key}\u001f{firstEventKey}")).AsSpan(0, 8));

    /// <summary>Everything about an alert that must not vary, as one comparable line.</summary>
    private static string Describe(Alert a) =>
        $"{a.Id} {a.RuleId} {a.DedupKey} {a.Severity} {a.Status} {a.StatusReason} {a.Count} {a.FirstSeen:O} {a.LastSeen:O} [{string.Join(",", a.Matches.Select(m => m.EventKey))}]";

    [Fact]
    public void Matches_of_one_key_within_the_period_are_one_alert_with_count_first_and_last()
    {
        var alerts = AlertGrouper.Group([M("e1", 0), M("e2", 10), M("e3", 59)], NoStatus);

        var a = Assert.Single(alerts);
        Assert.Equal(3, a.Count);
        Assert.Equal(T0, a.FirstSeen);
        Assert.Equal(T0.AddMinutes(59), a.LastSeen);
        Assert.Equal(["e1", "e2", "e3"], a.Matches.Select(m => m.EventKey));
        Assert.Equal(("R.One", "k1", "open"), (a.RuleId, a.DedupKey, a.Status));
        Assert.Equal("title of R.One", a.Title);
        Assert.Equal("123456789012", a.Account);
    }

    [Fact]
    public void A_match_more_than_one_period_after_the_alerts_first_starts_a_second_alert()
    {
        // The period is measured from the alert's first match, not from its latest one: e3 at 61m does not join
        // even though it is 11 minutes after e2; e6 at 122m is 61 minutes after e3, the second alert's first.
        var alerts = AlertGrouper.Group([M("e1", 0), M("e2", 50), M("e3", 61), M("e4", 100), M("e5", 121), M("e6", 122)], NoStatus);

        Assert.Equal(3, alerts.Count);
        Assert.Equal(["e1", "e2"], alerts[0].Matches.Select(m => m.EventKey));
        Assert.Equal(["e3", "e4", "e5"], alerts[1].Matches.Select(m => m.EventKey));
        Assert.Equal(["e6"], alerts[2].Matches.Select(m => m.EventKey));
        Assert.Equal((T0.AddMinutes(61), T0.AddMinutes(121), 3L), (alerts[1].FirstSeen, alerts[1].LastSeen, alerts[1].Count));
    }

    [Fact]
    public void The_period_boundary_is_inclusive_and_the_next_match_after_it_starts_over()
    {
        var alerts = AlertGrouper.Group([M("e1", 0), M("e2", 60), M("e3", 60.5), M("e4", 120.5), M("e5", 200)], NoStatus);

        Assert.Equal([2, 2, 1], alerts.Select(a => (int)a.Count));
        Assert.Equal(["e1", "e2"], alerts[0].Matches.Select(m => m.EventKey));
        Assert.Equal(["e3", "e4"], alerts[1].Matches.Select(m => m.EventKey));
        Assert.Equal(["e5"], alerts[2].Matches.Select(m => m.EventKey));
        Assert.Equal(T0.AddMinutes(60.5), alerts[1].FirstSeen);
        Assert.Equal(T0.AddMinutes(120.5), alerts[1].LastSeen);
    }

    [Fact]
    public void Threshold_three_opens_only_at_the_third_match_within_a_sliding_period()
    {
        // Two matches, then more than a period of quiet: they never make an alert. Then three within 60 minutes.
        var two = AlertGrouper.Group([M("a1", 0, threshold: 3), M("a2", 30, threshold: 3)], NoStatus);
        Assert.Empty(two);

        var alerts = AlertGrouper.Group(
        [
            M("a1", 0, threshold: 3), M("a2", 30, threshold: 3),
            M("b1", 200, threshold: 3), M("b2", 220, threshold: 3), M("b3", 250, threshold: 3),
        ], NoStatus);
        var a = Assert.Single(alerts);
        Assert.Equal(3, a.Count);
        Assert.Equal(["b1", "b2", "b3"], a.Matches.Select(m => m.EventKey));
        Assert.Equal(T0.AddMinutes(200), a.FirstSeen);
        Assert.Equal(T0.AddMinutes(250), a.LastSeen);
    }

    [Fact]
    public void Threshold_window_slides_old_matches_out_one_by_one()
    {
        // 0, 50, 100, 120: no 60-minute window holds three (m0 leaves at m100, m50 at m120). m100, m120, m140 do.
        var alerts = AlertGrouper.Group(
            [M("m0", 0, threshold: 3), M("m50", 50, threshold: 3), M("m100", 100, threshold: 3), M("m120", 120, threshold: 3), M("m140", 140, threshold: 3), M("m155", 155, threshold: 3), M("m161", 161, threshold: 3)],
            NoStatus);

        var a = Assert.Single(alerts);
        // Opens at m140 with the two still inside its window, keeps m155 (within 60 minutes of m100, its first),
        // and leaves m161 alone: on its own, below the threshold, it opens nothing.
        Assert.Equal(["m100", "m120", "m140", "m155"], a.Matches.Select(m => m.EventKey));
    }

    [Fact]
    public void A_distinct_threshold_counts_distinct_values_not_matches()
    {
        // Five matches from two addresses: never three distinct values.
        var same = AlertGrouper.Group(
            [M("e1", 0, threshold: 3, distinct: "10.0.0.1"), M("e2", 1, threshold: 3, distinct: "10.0.0.1"), M("e3", 2, threshold: 3, distinct: "10.0.0.2"),
             M("e4", 3, threshold: 3, distinct: "10.0.0.1"), M("e5", 4, threshold: 3, distinct: "10.0.0.2")], NoStatus);
        Assert.Empty(same);

        // The third distinct address opens the alert with every match of the window.
        var alerts = AlertGrouper.Group(
            [M("e1", 0, threshold: 3, distinct: "10.0.0.1"), M("e2", 1, threshold: 3, distinct: "10.0.0.1"), M("e3", 2, threshold: 3, distinct: "10.0.0.2"),
             M("e4", 3, threshold: 3, distinct: "10.0.0.3"), M("e5", 4, threshold: 3, distinct: "10.0.0.1")], NoStatus);
        var a = Assert.Single(alerts);
        Assert.Equal(["e1", "e2", "e3", "e4", "e5"], a.Matches.Select(m => m.EventKey));
        Assert.Equal(5, a.Count);
    }

    [Fact]
    public void Distinct_values_outside_the_sliding_period_do_not_count()
    {
        var alerts = AlertGrouper.Group(
            [M("e1", 0, threshold: 3, distinct: "a"), M("e2", 50, threshold: 3, distinct: "b"), M("e3", 70, threshold: 3, distinct: "c"),
             M("e4", 200, threshold: 3, distinct: "a"), M("e5", 210, threshold: 3, distinct: "b"), M("e6", 215, threshold: 3, distinct: "b")], NoStatus);
        Assert.Empty(alerts);
    }

    [Fact]
    public void Severity_is_the_highest_of_the_alerts_matches()
    {
        var alerts = AlertGrouper.Group(
            [M("e1", 0, severity: Severity.Medium), M("e2", 5, severity: Severity.Critical), M("e3", 10, severity: Severity.Low),
             M("f1", 0, key: "k2", severity: Severity.Low), M("f2", 1, key: "k2", severity: Severity.Medium)], NoStatus);

        Assert.Equal(Severity.Critical, alerts.Single(a => a.DedupKey == "k1").Severity);
        Assert.Equal(Severity.Medium, alerts.Single(a => a.DedupKey == "k2").Severity);
    }

    [Fact]
    public void Keys_and_rules_group_separately_and_alerts_come_in_first_seen_order()
    {
        var alerts = AlertGrouper.Group(
            [M("e1", 30, key: "k1"), M("e2", 10, key: "k2"), M("e3", 20, key: "k1", rule: "R.Two"), M("e4", 31, key: "k1")], NoStatus);

        Assert.Equal([("R.One", "k2", 1L), ("R.Two", "k1", 1L), ("R.One", "k1", 2L)], alerts.Select(a => (a.RuleId, a.DedupKey, a.Count)));
        Assert.Equal(alerts.Count, alerts.Select(a => a.Id).Distinct().Count());
    }

    [Fact]
    public void The_result_does_not_depend_on_the_order_of_the_matches()
    {
        var rng = new Random(7);
        var matches = new List<StoredMatch>();
        for (int i = 0; i < 400; i++)
        {
            int kind = rng.Next(4);
            double minute = rng.Next(0, 24 * 60) + rng.Next(0, 60) / 60.0;
            var sev = (Severity)rng.Next(5);
            matches.Add(kind switch
            {
                0 => M($"p{i:D4}", minute, key: "plain-" + rng.Next(3), severity: sev),
                1 => M($"t{i:D4}", minute, key: "thr-" + rng.Next(2), rule: "R.Threshold", threshold: 3, periodMinutes: 30, severity: sev),
                2 => M($"d{i:D4}", minute, key: "dist", rule: "R.Distinct", threshold: 3, periodMinutes: 45, distinct: "ip" + rng.Next(4), severity: sev),
                _ => M($"s{i:D4}", minute, key: "same-time", rule: "R.SameTime", severity: sev), // ties broken by event key
            });
        }
        // Several matches at the very same time.
        for (int i = 0; i < 5; i++) matches.Add(M($"tie{i}", 600, key: "same-time", rule: "R.SameTime"));

        var expected = AlertGrouper.Group(matches, NoStatus).Select(Describe).ToList();
        Assert.True(expected.Count > 20, $"only {expected.Count} alerts: the fixture should make many");
        for (int round = 0; round < 20; round++)
        {
            var shuffled = matches.ToArray();
            rng.Shuffle(shuffled);
            Assert.Equal(expected, AlertGrouper.Group(shuffled, NoStatus).Select(Describe).ToList());
        }
    }

    [Fact]
    public void Alert_ids_are_a_stable_hash_of_rule_key_and_first_match()
    {
        var alerts = AlertGrouper.Group([M("e2", 10), M("e1", 0), M("e3", 70)], NoStatus);

        Assert.Equal(Id("R.One", "k1", "e1"), alerts[0].Id);
        Assert.Equal(Id("R.One", "k1", "e3"), alerts[1].Id);
        Assert.Matches("^[0-9a-f]{16}$", alerts[0].Id);
        // The same value computed here and by the grouper, today and on any machine: a fixed literal.
        Assert.Equal(Id("R.One", "k1", "e1"), AlertGrouper.Group([M("e1", 0)], NoStatus)[0].Id);
        Assert.Equal("29fd9a87bc1bfd44", Id("AWS.EC2.SecurityGroupDatabasePortOpenToWorld", "key", "event-1"));

        // A later match joining the alert leaves its id alone.
        var grown = AlertGrouper.Group([M("e2", 10), M("e1", 0), M("e3", 70), M("e4", 59)], NoStatus);
        Assert.Equal(alerts[0].Id, grown[0].Id);
        Assert.Equal(3, grown[0].Count);
    }

    [Fact]
    public void Statuses_are_applied_by_alert_id_and_the_rest_are_open()
    {
        var matches = new[] { M("e1", 0), M("e3", 70), M("f1", 5, key: "k2") };
        var ids = AlertGrouper.Group(matches, NoStatus).Select(a => a.Id).ToList();
        Assert.Equal(3, ids.Count);
        var statuses = new Dictionary<string, (string, string?)>
        {
            [ids[0]] = ("closed", "expected change"),
            [ids[2]] = ("open", "reopened: happened again"),
            ["ffffffffffffffff"] = ("closed", "an alert that no longer exists"),
        };

        var alerts = AlertGrouper.Group(matches, statuses);

        Assert.Equal(ids, alerts.Select(a => a.Id));
        Assert.Equal(("closed", "expected change"), (alerts[0].Status, alerts[0].StatusReason));
        Assert.Equal(("open", (string?)null), (alerts[1].Status, alerts[1].StatusReason));
        Assert.Equal(("open", "reopened: happened again"), (alerts[2].Status, alerts[2].StatusReason));
    }

    [Fact]
    public void A_status_stays_with_its_alert_when_a_late_earlier_match_gives_the_alert_a_new_id()
    {
        // The analyst closed the alert that started at e30. A file delivered late holds e10, twenty minutes
        // earlier: the alert now starts at e10 and has a new id, but it is the same alert and stays closed.
        var closedId = AlertGrouper.Group([M("e30", 30), M("e50", 50)], NoStatus)[0].Id;
        var statuses = new Dictionary<string, (string, string?)> { [closedId] = ("closed", "approved change") };

        var a = Assert.Single(AlertGrouper.Group([M("e30", 30), M("e50", 50), M("e10", 10)], statuses));
        Assert.Equal(Id("R.One", "k1", "e10"), a.Id);
        Assert.Equal(3, a.Count);
        Assert.Equal(("closed", "approved change"), (a.Status, a.StatusReason));

        // A status set on the new id wins over the inherited one.
        statuses[a.Id] = ("open", "reopened");
        Assert.Equal("open", AlertGrouper.Group([M("e30", 30), M("e50", 50), M("e10", 10)], statuses)[0].Status);

        // An alert the closed one's matches are not part of stays open.
        var other = AlertGrouper.Group([M("e30", 30), M("e50", 50), M("e10", 10), M("e200", 200)], new Dictionary<string, (string, string?)> { [closedId] = ("closed", "x") });
        Assert.Equal(["closed", "open"], other.Select(x => x.Status));
    }
}
