using System.Text.Json;
using Moat.Tests.Support;

namespace Moat.Tests.Sigma;

/// <summary>
/// Sigma correlation rules end to end: rules and correlations in YAML, events in files, findings from `moat scan`.
/// Windows run on event time; inputs deliberately arrive out of time order.
/// </summary>
public sealed class CorrelationTests : IDisposable
{
    private readonly TempDir _tmp = new();

    public void Dispose() => _tmp.Dispose();

    private const string FailedLogin = """
        title: Console login failed
        id: 11111111-0000-0000-0000-000000000001
        name: console_login_failed
        author: Moat tests
        level: low
        logsource: { product: aws, service: cloudtrail }
        detection:
            selection:
                eventSource: signin.amazonaws.com
                eventName: ConsoleLogin
                responseElements.ConsoleLogin: Failure
            condition: selection
        """;

    private const string SuccessLogin = """
        title: Console login succeeded
        id: 11111111-0000-0000-0000-000000000002
        name: console_login_success
        author: Moat tests
        level: low
        logsource: { product: aws, service: cloudtrail }
        detection:
            selection:
                eventSource: signin.amazonaws.com
                eventName: ConsoleLogin
                responseElements.ConsoleLogin: Success
            condition: selection
        """;

    private static string Login(string time, string ip, string user, bool ok, string id) =>
        JsonSerializer.Serialize(new
        {
            eventVersion = "1.08",
            eventTime = time,
            eventSource = "signin.amazonaws.com",
            eventName = "ConsoleLogin",
            eventID = id,
            awsRegion = "us-east-1",
            recipientAccountId = "111122223333",
            sourceIPAddress = ip,
            userIdentity = new { type = "IAMUser", arn = $"arn:aws:iam::111122223333:user/{user}", userName = user },
            responseElements = new { ConsoleLogin = ok ? "Success" : "Failure" },
        });

    private List<JsonElement> Scan(string rules, params (string Name, string[] Lines)[] files)
    {
        _tmp.File("rules/rules.yml", rules);
        var paths = files.Select(f => _tmp.File("logs/" + f.Name, string.Join("\n", f.Lines) + "\n")).ToList();
        var run = MoatProcess.Run(["scan", .. paths, "--only-rules", Path.Combine(_tmp.Path, "rules"), "--format", "jsonl", "-q"]);
        Assert.True(run.ExitCode == 0, run.Stderr);
        return run.Stdout.Split('\n', StringSplitOptions.RemoveEmptyEntries).Select(l => JsonDocument.Parse(l).RootElement.Clone()).ToList();
    }

    [Fact]
    public void Event_count_fires_once_per_burst_per_group_on_event_time_and_silences_its_base_rule()
    {
        var rules = FailedLogin + """

            ---
            title: Many failed console logins from one address
            id: 22222222-0000-0000-0000-000000000001
            author: Moat tests
            level: high
            tags: [attack.credential-access, attack.t1110]
            correlation:
                type: event_count
                rules: [console_login_failed]
                group-by: [sourceIPAddress]
                timespan: 10m
                condition: { gte: 3 }
            """;
        // File b holds the earlier events: windows must follow event time, not input order.
        var found = Scan(rules,
            ("a.jsonl", [Login("2026-01-01T10:08:00Z", "198.51.100.7", "alice", false, "a3"), Login("2026-01-01T10:30:00Z", "198.51.100.7", "alice", false, "late")]),
            ("b.jsonl", [Login("2026-01-01T10:00:00Z", "198.51.100.7", "alice", false, "a1"), Login("2026-01-01T10:05:00Z", "198.51.100.7", "bob", false, "a2"),
                         Login("2026-01-01T10:01:00Z", "203.0.113.9", "carol", false, "other-ip")]));
        var f = Assert.Single(found);
        Assert.Equal("22222222-0000-0000-0000-000000000001", f.GetProperty("ruleId").GetString());
        Assert.Equal("high", f.GetProperty("severity").GetString());
        Assert.Equal("sigma-correlation", f.GetProperty("ruleKind").GetString());
        Assert.Equal("Moat tests", f.GetProperty("author").GetString());
        Assert.Equal("sourceIPAddress=198.51.100.7", f.GetProperty("resource").GetProperty("group").GetString());
        Assert.Equal(["a1", "a2", "a3"], f.GetProperty("resource").GetProperty("events").EnumerateArray().Select(e => e.GetString()!).ToArray());
        Assert.Equal("2026-01-01T10:08:00Z", f.GetProperty("eventTime").GetString());
        Assert.Equal("T1110", f.GetProperty("mitre")[0].GetProperty("technique").GetString());
    }

    [Fact]
    public void Event_count_window_slides_three_events_spread_over_more_than_the_timespan_do_not_fire()
    {
        var rules = FailedLogin + """

            ---
            title: Burst
            id: 22222222-0000-0000-0000-000000000002
            correlation: { type: event_count, rules: [console_login_failed], group-by: [sourceIPAddress], timespan: 5m, condition: { gte: 3 } }
            """;
        var spread = Scan(rules, ("a.jsonl", [
            Login("2026-01-01T10:00:00Z", "198.51.100.7", "a", false, "1"), Login("2026-01-01T10:04:00Z", "198.51.100.7", "a", false, "2"),
            Login("2026-01-01T10:08:00Z", "198.51.100.7", "a", false, "3"), Login("2026-01-01T10:12:00Z", "198.51.100.7", "a", false, "4")]));
        Assert.Empty(spread);
        // Sliding, not fixed buckets: 10:03, 10:06, 10:07 straddle a 5-minute boundary and still fire.
        var straddling = Scan(rules, ("b.jsonl", [
            Login("2026-01-01T10:03:00Z", "198.51.100.7", "a", false, "1"), Login("2026-01-01T10:06:00Z", "198.51.100.7", "a", false, "2"),
            Login("2026-01-01T10:07:00Z", "198.51.100.7", "a", false, "3")]));
        Assert.Single(straddling);
    }

    [Fact]
    public void Value_count_counts_distinct_values_per_group()
    {
        var rules = FailedLogin + """

            ---
            title: Password spraying from one address
            id: 22222222-0000-0000-0000-000000000003
            correlation:
                type: value_count
                rules: [console_login_failed]
                group-by: [sourceIPAddress]
                timespan: 1h
                condition: { field: userIdentity.userName, gte: 3 }
            """;
        var same = Scan(rules, ("a.jsonl", Enumerable.Range(0, 5).Select(i => Login($"2026-01-01T10:0{i}:00Z", "198.51.100.7", "alice", false, "s" + i)).ToArray()));
        Assert.Empty(same);
        var spray = Scan(rules, ("b.jsonl", new[] { "alice", "bob", "carol" }.Select((u, i) => Login($"2026-01-01T10:0{i}:00Z", "198.51.100.7", u, false, "p" + i)).ToArray()));
        var f = Assert.Single(spray);
        Assert.StartsWith("3 distinct userIdentity.userName", f.GetProperty("resource").GetProperty("measure").GetString());
    }

    [Fact]
    public void Temporal_ordered_needs_the_listed_order_and_temporal_does_not()
    {
        string Rules(string type) => FailedLogin + "\n---\n" + SuccessLogin + $$"""

            ---
            title: Failed then successful login
            id: 22222222-0000-0000-0000-000000000004
            correlation:
                type: {{type}}
                rules: [console_login_failed, console_login_success]
                group-by: [userIdentity.userName]
                timespan: 15m
                generate: true
            """;
        string[] successFirst = [Login("2026-01-01T10:00:00Z", "198.51.100.7", "alice", true, "ok"), Login("2026-01-01T10:05:00Z", "198.51.100.7", "alice", false, "bad")];
        string[] failFirst = [Login("2026-01-01T10:00:00Z", "198.51.100.7", "alice", false, "bad"), Login("2026-01-01T10:05:00Z", "198.51.100.7", "alice", true, "ok")];

        // generate: true keeps the base rules' own findings (2) besides the correlation's.
        Assert.Equal(2, Scan(Rules("temporal_ordered"), ("a.jsonl", successFirst)).Count);
        Assert.Equal(3, Scan(Rules("temporal_ordered"), ("b.jsonl", failFirst)).Count);
        Assert.Equal(3, Scan(Rules("temporal"), ("c.jsonl", successFirst)).Count);
    }

    [Fact]
    public void Aliases_group_different_fields_of_different_rules_and_chains_feed_one_correlation_into_another()
    {
        var rules = FailedLogin + "\n---\n" + SuccessLogin + """

            ---
            title: Failures
            id: 22222222-0000-0000-0000-000000000005
            name: many_failures
            correlation: { type: event_count, rules: [console_login_failed], group-by: [ip], timespan: 10m, condition: { gte: 2 },
                           aliases: { ip: { console_login_failed: sourceIPAddress } } }
            ---
            title: Brute force that worked
            id: 22222222-0000-0000-0000-000000000006
            level: critical
            correlation:
                type: temporal_ordered
                rules: [many_failures, console_login_success]
                group-by: [ip]
                timespan: 30m
                aliases:
                    ip:
                        many_failures: sourceIPAddress
                        console_login_success: sourceIPAddress
            """;
        var found = Scan(rules, ("a.jsonl", [
            Login("2026-01-01T10:00:00Z", "198.51.100.7", "alice", false, "f1"),
            Login("2026-01-01T10:01:00Z", "198.51.100.7", "alice", false, "f2"),
            Login("2026-01-01T10:09:00Z", "198.51.100.7", "alice", true, "win"),
            Login("2026-01-01T10:09:30Z", "203.0.113.1", "bob", true, "elsewhere")]));
        var f = Assert.Single(found);
        Assert.Equal("22222222-0000-0000-0000-000000000006", f.GetProperty("ruleId").GetString());
        Assert.Equal("critical", f.GetProperty("severity").GetString());
        Assert.Equal("win", f.GetProperty("eventId").GetString());
    }

    [Fact]
    public void A_correlation_naming_an_unknown_rule_is_an_error_with_its_position()
    {
        _tmp.File("bad/c.yml", """
            title: Orphan
            id: 22222222-0000-0000-0000-000000000009
            correlation: { type: event_count, rules: [no_such_rule], group-by: [x], timespan: 1m, condition: { gte: 2 } }
            """);
        var run = MoatProcess.Run("rules", "lint", Path.Combine(_tmp.Path, "bad"));
        Assert.Equal(2, run.ExitCode);
        Assert.Contains("c.yml:1:1: error MOAT033", run.Stdout);
    }
}
