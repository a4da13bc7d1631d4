using System.Text.Json;
using Moat.Tests.Support;

namespace Moat.Tests.Alerts;

/// <summary>Sigma correlations with --state: they see the findings of earlier scans, and report once.</summary>
public sealed class CorrelationStateTests
{
    private const string Rules = """
        title: Bucket deleted
        id: 33333333-0000-0000-0000-000000000001
        name: bucket_deleted
        author: Moat tests
        level: low
        logsource: { product: aws, service: cloudtrail }
        detection:
            selection: { eventSource: s3.amazonaws.com, eventName: DeleteBucket }
            condition: selection
        ---
        title: Many buckets deleted by one identity
        id: 33333333-0000-0000-0000-000000000002
        level: high
        correlation:
            type: event_count
            rules: [bucket_deleted]
            group-by: [userIdentity.arn]
            timespan: 1h
            condition: { gte: 3 }
        """;

    private static string Delete(string time, string id) => JsonSerializer.Serialize(new
    {
        eventTime = time, eventSource = "s3.amazonaws.com", eventName = "DeleteBucket", eventID = id, awsRegion = "us-east-1",
        recipientAccountId = "111122223333", userIdentity = new { arn = "arn:aws:iam::111122223333:user/mallory" },
    });

    [Fact]
    public void A_correlation_over_findings_from_two_scans_fires_once_as_it_does_in_one()
    {
        using var tmp = new TempDir();
        var rules = tmp.File("rules/r.yml", Rules);
        var state = Path.Combine(tmp.Path, "state.db");
        tmp.File("logs/a.jsonl", Delete("2026-01-01T10:00:00Z", "d1") + "\n" + Delete("2026-01-01T10:10:00Z", "d2") + "\n");
        string[] args = ["scan", Path.Combine(tmp.Path, "logs"), "--only-rules", rules, "--state", state, "--format", "jsonl", "-q"];
        var first = MoatProcess.Run(args);
        Assert.Equal(0, first.ExitCode);
        Assert.Equal("", first.Stdout); // two deletions: below the threshold, and the base rule does not alert on its own

        tmp.File("logs/b.jsonl", Delete("2026-01-01T10:20:00Z", "d3") + "\n");
        var second = MoatProcess.Run(args);
        var f = JsonDocument.Parse(second.Stdout.Trim()).RootElement;
        Assert.Equal("33333333-0000-0000-0000-000000000002", f.GetProperty("ruleId").GetString());
        Assert.Equal(["d1", "d2", "d3"], f.GetProperty("resource").GetProperty("events").EnumerateArray().Select(e => e.GetString()!).ToArray());

        var again = MoatProcess.Run([.. args, "--rescan"]);
        Assert.Equal("", again.Stdout);
        var alerts = MoatProcess.Run("alerts", "list", "--state", state, "--format", "jsonl").Stdout.Split('\n', StringSplitOptions.RemoveEmptyEntries);
        var alert = JsonDocument.Parse(Assert.Single(alerts)).RootElement;
        Assert.Equal("33333333-0000-0000-0000-000000000002", alert.GetProperty("ruleId").GetString());
    }
}
