using System.Text.Json;
using Moat.Tests.Support;

namespace Moat.Tests.Alerts;

/// <summary>`moat scan --state` and `moat alerts list|show|close|reopen` end to end: the real binary on real files.</summary>
public sealed class AlertsCommandTests
{
    private static readonly DateTimeOffset T0 = Trail.T0;

    private static MoatRun Ok(params string[] args)
    {
        var run = MoatProcess.Run(args);
        Assert.True(run.ExitCode == 0, $"moat {string.Join(' ', args)} exited {run.ExitCode}: {run.Stderr}");
        Assert.DoesNotContain("   at ", run.Stderr);
        return run;
    }

    private static List<JsonElement> Alerts(string state, params string[] filters) =>
        Trail.Lines(Ok(["alerts", "list", "--state", state, "--format", "jsonl", .. filters]).Stdout);

    /// <summary>Two files: sg-1 opened on 5432 three times within an hour (one alert), sg-2 once, plus noise.</summary>
    private static string Corpus(TempDir tmp)
    {
        var dir = Path.Combine(tmp.Path, "trail");
        tmp.File("trail/a.json", Trail.File(
        [
            Trail.Noise("n-1", T0, 1),
            Trail.SgOpen("ev-a1", T0.AddMinutes(1), "sg-1", 5432),
            Trail.Noise("n-2", T0.AddMinutes(2), 2),
            Trail.SgOpen("ev-a2", T0.AddMinutes(10), "sg-1", 5432, ip: "198.51.100.8"),
        ]));
        tmp.File("trail/b.json", Trail.File(
        [
            Trail.SgOpen("ev-b1", T0.AddMinutes(20), "sg-1", 5432),
            Trail.SgOpen("ev-b2", T0.AddMinutes(25), "sg-2", 5432),
            Trail.Noise("n-3", T0.AddMinutes(26), 3),
        ]));
        return dir;
    }

    [Fact]
    public void Scan_with_state_then_alerts_list_gives_one_object_per_alert_with_the_documented_fields()
    {
        using var tmp = new TempDir();
        var dir = Corpus(tmp);
        var state = Path.Combine(tmp.Path, "state.db");

        var scan = Ok("scan", dir, "--state", state, "--format", "jsonl");
        Assert.Equal(4, Trail.Lines(scan.Stdout).Count); // the findings themselves are still printed

        var list = MoatProcess.Run("alerts", "list", "--state", state, "--format", "jsonl");
        Assert.Equal(0, list.ExitCode);
        Assert.Contains("2 of 2 alert(s)", list.Stderr);
        var alerts = Trail.Lines(list.Stdout);
        Assert.Equal(2, alerts.Count);
        foreach (var a in alerts)
            foreach (var field in new[] { "id", "ruleId", "dedupKey", "severity", "status", "count", "firstSeen", "lastSeen", "title", "account", "principal" })
                Assert.True(a.TryGetProperty(field, out _), $"alert lacks {field}: {a}");

        var sg1 = alerts[0];
        Assert.Matches("^[0-9a-f]{16}$", sg1.GetProperty("id").GetString());
        Assert.Equal(Trail.DbPortRule, sg1.GetProperty("ruleId").GetString());
        Assert.Equal(Trail.DbPortKey("sg-1"), sg1.GetProperty("dedupKey").GetString());
        Assert.Equal("high", sg1.GetProperty("severity").GetString());
        Assert.Equal("open", sg1.GetProperty("status").GetString());
        Assert.Equal(3, sg1.GetProperty("count").GetInt64());
        Assert.Equal("2026-03-02T08:01:00.0000000Z", sg1.GetProperty("firstSeen").GetString());
        Assert.Equal("2026-03-02T08:20:00.0000000Z", sg1.GetProperty("lastSeen").GetString());
        Assert.Equal(Trail.Account, sg1.GetProperty("account").GetString());
        Assert.Equal(Trail.Alice, sg1.GetProperty("principal").GetString());
        Assert.Equal(Trail.DbPortKey("sg-2"), alerts[1].GetProperty("dedupKey").GetString());
        Assert.Equal(1, alerts[1].GetProperty("count").GetInt64());

        // The table form names the same alerts.
        var table = Ok("alerts", "list", "--state", state);
        Assert.Contains(sg1.GetProperty("id").GetString()!, table.Stdout);
        Assert.Contains("3x", table.Stdout);
    }

    [Fact]
    public void A_second_scan_reads_nothing_a_new_file_alone_is_read_and_rescan_adds_no_second_alert()
    {
        using var tmp = new TempDir();
        var dir = Corpus(tmp);
        var state = Path.Combine(tmp.Path, "state.db");
        Ok("scan", dir, "--state", state, "--format", "jsonl");
        var before = Trail.AlertLines(state);

        // Same folder again: nothing is read, and stderr says why.
        var again = Ok("scan", dir, "--state", state, "--format", "jsonl");
        Assert.Equal("", again.Stdout);
        Assert.Contains("2 input(s) were scanned before and have not changed", again.Stderr);
        Assert.Contains("--rescan reads them again", again.Stderr);
        Assert.Contains("Scanned 0 events in 0 file(s)", again.Stderr);
        Assert.Equal(before, Trail.AlertLines(state));

        // A new file: only it is read. Its sg-1 match 40 minutes after the alert's first joins that alert; its sg-1
        // match 70 minutes after starts a second one; sg-3 is new.
        tmp.File("trail/c.json", Trail.File(
        [
            Trail.SgOpen("ev-c1", T0.AddMinutes(41), "sg-1", 5432),
            Trail.SgOpen("ev-c2", T0.AddMinutes(71), "sg-1", 5432),
            Trail.SgOpen("ev-c3", T0.AddMinutes(30), "sg-3", 5432),
        ]));
        var incremental = Ok("scan", dir, "--state", state, "--format", "jsonl");
        Assert.Contains("2 input(s) were scanned before", incremental.Stderr);
        Assert.Contains("Scanned 3 events in 1 file(s)", incremental.Stderr);
        Assert.Equal(["ev-c1", "ev-c2", "ev-c3"], Trail.Lines(incremental.Stdout).Select(f => f.GetProperty("eventId").GetString()).Order());

        var oldSg1 = before.Select(l => Trail.Lines(l)[0]).Single(a => a.GetProperty("dedupKey").GetString() == Trail.DbPortKey("sg-1"));
        var alerts = Alerts(state);
        Assert.Equal(4, alerts.Count);
        var grown = alerts.Single(a => a.GetProperty("id").GetString() == oldSg1.GetProperty("id").GetString());
        Assert.Equal(4, grown.GetProperty("count").GetInt64());
        Assert.Equal(oldSg1.GetProperty("firstSeen").GetString(), grown.GetProperty("firstSeen").GetString());
        Assert.Equal("2026-03-02T08:41:00.0000000Z", grown.GetProperty("lastSeen").GetString());
        var second = alerts.Single(a => a.GetProperty("firstSeen").GetString() == "2026-03-02T09:11:00.0000000Z");
        Assert.Equal((Trail.DbPortKey("sg-1"), 1L), (second.GetProperty("dedupKey").GetString(), second.GetProperty("count").GetInt64()));
        var afterIncremental = Trail.AlertLines(state);
        var matches = Trail.MatchRows(state);
        Assert.Equal(7, matches.Count);

        // --rescan reads every file again, prints every finding again, and stores no second alert or match.
        var rescan = Ok("scan", dir, "--state", state, "--format", "jsonl", "--rescan");
        Assert.DoesNotContain("scanned before", rescan.Stderr);
        Assert.Contains("in 3 file(s)", rescan.Stderr);
        Assert.Equal(7, Trail.Lines(rescan.Stdout).Count);
        Assert.Equal(afterIncremental, Trail.AlertLines(state));
        Assert.Equal(matches, Trail.MatchRows(state));
    }

    [Fact]
    public void A_changed_file_is_read_again_and_its_old_matches_are_not_doubled()
    {
        using var tmp = new TempDir();
        var dir = Corpus(tmp);
        var state = Path.Combine(tmp.Path, "state.db");
        Ok("scan", dir, "--state", state, "-q");

        // CloudTrail never rewrites a delivered file, but a copy can be replaced: same name, more events.
        tmp.File("trail/b.json", Trail.File(
        [
            Trail.SgOpen("ev-b1", T0.AddMinutes(20), "sg-1", 5432),
            Trail.SgOpen("ev-b2", T0.AddMinutes(25), "sg-2", 5432),
            Trail.SgOpen("ev-b3", T0.AddMinutes(27), "sg-2", 5432),
        ]));
        var run = Ok("scan", dir, "--state", state, "--format", "jsonl");
        Assert.Contains("1 input(s) were scanned before", run.Stderr);
        Assert.Contains("in 1 file(s)", run.Stderr);
        Assert.Equal(5, Trail.MatchRows(state).Count);
        Assert.Equal([3L, 2L], Alerts(state).Select(a => a.GetProperty("count").GetInt64()));
    }

    [Fact]
    public void Close_then_list_by_status_then_reopen()
    {
        using var tmp = new TempDir();
        var dir = Corpus(tmp);
        var state = Path.Combine(tmp.Path, "state.db");
        Ok("scan", dir, "--state", state, "-q");
        var id = Alerts(state)[0].GetProperty("id").GetString()!;
        var other = Alerts(state)[1].GetProperty("id").GetString()!;

        var close = Ok("alerts", "close", id, "--reason", "change ticket CHG-1234", "--state", state);
        Assert.Contains($"alert {id} closed: change ticket CHG-1234", close.Stderr);

        var closed = Alerts(state, "--status", "closed");
        var a = Assert.Single(closed);
        Assert.Equal(id, a.GetProperty("id").GetString());
        Assert.Equal("closed", a.GetProperty("status").GetString());
        Assert.Equal("change ticket CHG-1234", a.GetProperty("statusReason").GetString());
        Assert.Equal([other], Alerts(state, "--status", "open").Select(x => x.GetProperty("id").GetString()));
        Assert.Contains("closed (change ticket CHG-1234)", Ok("alerts", "show", id, "--state", state).Stdout);

        // A later scan that adds to the alert keeps its status: the id names its first match.
        tmp.File("trail/c.json", Trail.File([Trail.SgOpen("ev-c1", T0.AddMinutes(30), "sg-1", 5432)]));
        Ok("scan", dir, "--state", state, "-q");
        var still = Assert.Single(Alerts(state, "--status", "closed"));
        Assert.Equal((id, 4L), (still.GetProperty("id").GetString(), still.GetProperty("count").GetInt64()));

        // A unique prefix of the id is enough.
        var reopen = Ok("alerts", "reopen", id[..6], "--state", state);
        Assert.Contains($"alert {id} reopened", reopen.Stderr);
        Assert.Empty(Alerts(state, "--status", "closed"));
        Assert.Equal(2, Alerts(state, "--status", "open").Count);

        // Closing needs a reason; an unknown id is a usage error.
        var noReason = MoatProcess.Run("alerts", "close", id, "--state", state);
        Assert.Equal(2, noReason.ExitCode);
        Assert.Contains("--reason", noReason.Stderr);
        var unknown = MoatProcess.Run("alerts", "show", "ffffffffffff", "--state", state);
        Assert.Equal(2, unknown.ExitCode);
        Assert.Contains("no alert 'ffffffffffff'", unknown.Stderr);
        Assert.DoesNotContain("   at ", unknown.Stderr + noReason.Stderr);
    }

    [Fact]
    public void A_closed_alert_stays_closed_when_a_late_file_brings_an_earlier_match()
    {
        using var tmp = new TempDir();
        var dir = Corpus(tmp);
        var state = Path.Combine(tmp.Path, "state.db");
        Ok("scan", dir, "--state", state, "-q");
        var sg1 = Alerts(state)[0];
        var id = sg1.GetProperty("id").GetString()!;
        Ok("alerts", "close", id, "--reason", "approved change", "--state", state);

        // CloudTrail delivers files out of order: one arriving now holds an sg-1 match from before the alert began.
        tmp.File("trail/late.json", Trail.File([Trail.SgOpen("ev-late", T0.AddMinutes(-5), "sg-1", 5432)]));
        Ok("scan", dir, "--state", state, "-q");

        var alerts = Alerts(state);
        Assert.Equal(2, alerts.Count);
        var grown = alerts.Single(a => a.GetProperty("dedupKey").GetString() == Trail.DbPortKey("sg-1"));
        Assert.NotEqual(id, grown.GetProperty("id").GetString()); // the id names the first match, now ev-late
        Assert.Equal(4, grown.GetProperty("count").GetInt64());
        Assert.Equal("2026-03-02T07:55:00.0000000Z", grown.GetProperty("firstSeen").GetString());
        Assert.Equal(("closed", "approved change"), (grown.GetProperty("status").GetString(), grown.GetProperty("statusReason").GetString()));
        Assert.Equal("open", alerts.Single(a => a.GetProperty("dedupKey").GetString() == Trail.DbPortKey("sg-2")).GetProperty("status").GetString());
    }

    [Fact]
    public void Show_prints_the_timeline_of_every_match_and_the_rendered_runbook_and_remediation()
    {
        using var tmp = new TempDir();
        var dir = Corpus(tmp);
        var state = Path.Combine(tmp.Path, "state.db");
        Ok("scan", dir, "--state", state, "-q");
        var id = Alerts(state)[0].GetProperty("id").GetString()!;

        var show = Ok("alerts", "show", id, "--state", state).Stdout;

        Assert.StartsWith($"alert {id}  [high]  open\n", show);
        Assert.Contains("Database port opened to the world in a security group", show);
        Assert.Contains($"rule {Trail.DbPortRule}; key {Trail.DbPortKey("sg-1")}; 3 match(es)", show);
        int start = show.IndexOf("Timeline\n", StringComparison.Ordinal);
        var timeline = show[start..show.IndexOf("\n\n", start, StringComparison.Ordinal)]
            .Split('\n', StringSplitOptions.RemoveEmptyEntries).Skip(1).ToList();
        Assert.Contains("What else", show); // the identity's other activity, from the activity index
        Assert.Equal(3, timeline.Count);
        Assert.Contains("event ev-a1", timeline[0]);
        Assert.Contains("AuthorizeSecurityGroupIngress", timeline[0]);
        Assert.Contains("from 198.51.100.7", timeline[0]);
        Assert.Contains("from 198.51.100.8  event ev-a2", timeline[1]);
        Assert.Contains("event ev-b1", timeline[2]);
        Assert.StartsWith("  2026-03-02T08:01:00", timeline[0]);

        // Templates rendered with the first match's event, not left as {{...}}.
        Assert.Contains($"1. Confirm the change: {Trail.Alice} ran AuthorizeSecurityGroupIngress on sg-1 in {Trail.Account}/{Trail.Region} at 2026-03-02T08:01:00Z", show);
        Assert.Contains("\nRemediation\n  aws ec2 revoke-security-group-ingress --region us-east-1 --group-id sg-1 --ip-permissions 'IpProtocol=tcp,FromPort=5432,ToPort=5432,IpRanges=[{CidrIp=0.0.0.0/0}]'", show);
        Assert.DoesNotContain("{{", show);
    }

    [Fact]
    public void A_rule_with_threshold_3_opens_its_alert_only_at_the_third_match()
    {
        using var tmp = new TempDir();
        var rules = tmp.File("rules/threshold.yaml", Trail.ThresholdRule);
        var dir = Path.Combine(tmp.Path, "trail");
        var state = Path.Combine(tmp.Path, "state.db");
        tmp.File("trail/1.json", Trail.File(
        [
            Trail.DeleteBucket("d-1", T0, "logs-1"),
            Trail.DeleteBucket("d-2", T0.AddMinutes(4), "logs-2"),
            // Another principal: another dedup key, one deletion only.
            Trail.DeleteBucket("d-x", T0.AddMinutes(5), "other", principal: "arn:aws:iam::123456789012:user/bob"),
        ]));

        var first = Ok("scan", dir, "--only-rules", rules, "--state", state, "--format", "jsonl");
        Assert.Equal(3, Trail.Lines(first.Stdout).Count); // each match is still a finding
        Assert.Empty(Alerts(state));
        Assert.Equal(3, Trail.MatchRows(state).Count);

        // A third deletion, but 11 minutes after the first: the window slides, d-1 falls out, still two.
        tmp.File("trail/2.json", Trail.File([Trail.DeleteBucket("d-3", T0.AddMinutes(11), "logs-3")]));
        Ok("scan", dir, "--only-rules", rules, "--state", state, "-q");
        Assert.Empty(Alerts(state));

        // The third within 10 minutes of d-2: the alert opens with the three in the window.
        tmp.File("trail/3.json", Trail.File([Trail.DeleteBucket("d-4", T0.AddMinutes(13), "logs-4")]));
        Ok("scan", dir, "--only-rules", rules, "--state", state, "-q");
        var a = Assert.Single(Alerts(state));
        Assert.Equal(Trail.ThresholdRuleId, a.GetProperty("ruleId").GetString());
        Assert.Equal(Trail.Alice, a.GetProperty("dedupKey").GetString());
        Assert.Equal(3, a.GetProperty("count").GetInt64());
        Assert.Equal("2026-03-02T08:04:00.0000000Z", a.GetProperty("firstSeen").GetString());
        Assert.Equal("2026-03-02T08:13:00.0000000Z", a.GetProperty("lastSeen").GetString());
        var show = Ok("alerts", "show", a.GetProperty("id").GetString()!, "--state", state).Stdout;
        Assert.Contains("Ask arn:aws:iam::123456789012:user/alice why logs-2 was deleted.", show);
    }

    [Fact]
    public void A_rule_with_a_distinct_threshold_counts_source_addresses()
    {
        using var tmp = new TempDir();
        var rules = tmp.File("rules/distinct.yaml", Trail.DistinctRule);
        var dir = Path.Combine(tmp.Path, "trail");
        var state = Path.Combine(tmp.Path, "state.db");
        // Six deletions from three addresses: below the threshold of four distinct addresses.
        tmp.File("trail/1.json", Trail.File(Enumerable.Range(0, 6).Select(i => Trail.DeleteBucket($"d-{i}", T0.AddMinutes(i), "b" + i, ip: "203.0.113." + (i % 3 + 1)))));
        Ok("scan", dir, "--only-rules", rules, "--state", state, "-q");
        Assert.Empty(Alerts(state));

        tmp.File("trail/2.json", Trail.File([Trail.DeleteBucket("d-9", T0.AddMinutes(20), "b9", ip: "192.0.2.50")]));
        Ok("scan", dir, "--only-rules", rules, "--state", state, "-q");
        var a = Assert.Single(Alerts(state));
        Assert.Equal((7L, "high"), (a.GetProperty("count").GetInt64(), a.GetProperty("severity").GetString()));
    }

    [Fact]
    public void Alerts_without_a_state_file_is_a_usage_error_not_a_crash()
    {
        using var tmp = new TempDir();
        var missing = Path.Combine(tmp.Path, "none.db");
        var run = MoatProcess.Run("alerts", "list", "--state", missing);
        Assert.Equal(2, run.ExitCode);
        Assert.Contains($"no state file at {missing}", run.Stderr);
        Assert.DoesNotContain("   at ", run.Stderr);
        Assert.False(File.Exists(missing));
    }
}
