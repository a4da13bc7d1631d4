using System.Text.Json;
using Moat.Alerts;
using Moat.Destinations;
using Moat.Rules;
using Moat.Tests.Support;
using static Moat.Tests.Destinations.DestinationTestSupport;

namespace Moat.Tests.Destinations;

public sealed class AlertDispatcherTests : IDisposable
{
    private readonly TempDir _tmp = new();
    private readonly InMemoryDeliveryStore _store = new();
    private readonly List<string> _reported = [];

    private string DeadLetterPath => Path.Combine(_tmp.Path, "state.db.dead-letters.jsonl");

    public void Dispose() => _tmp.Dispose();

    private async Task<DispatchSummary> Run(IReadOnlyList<Destination> destinations, params Alert[] alerts)
    {
        using var dispatcher = new AlertDispatcher(destinations, _store, DeadLetterPath, FastOptions(_reported));
        return await dispatcher.DispatchAsync(alerts);
    }

    private List<DeadLetter> DeadLetters()
    {
        var problems = new List<string>();
        var letters = DeadLetterFile.Read(DeadLetterPath, problems);
        Assert.Empty(problems);
        return letters;
    }

    [Fact]
    public async Task Delivers_an_alert_as_json_with_the_bearer_token()
    {
        using var server = new TestHttpServer(Reply.Ok);
        var summary = await Run([Webhook(server.Url())], Alert(count: 2));

        Assert.Equal(1, summary.Sent);
        Assert.Equal(0, summary.Failed);
        Assert.Equal(0, summary.DeadLettered);
        var request = Assert.Single(server.Requests);
        Assert.Equal("POST", request.Method);
        Assert.Equal("/hooks/T000/B000/" + SecretPath, request.Target);
        Assert.Equal("Bearer " + Token, request.Header("Authorization"));
        Assert.StartsWith("application/json", request.Header("Content-Type"));
        Assert.Equal("0a1b2c3d4e5f6a7b-2-open", request.Header("Idempotency-Key"));

        var json = request.Json;
        Assert.Equal("0a1b2c3d4e5f6a7b", json.GetProperty("id").GetString());
        Assert.Equal("new", json.GetProperty("change").GetString());
        Assert.Equal("aws.iam.access-key-created", json.GetProperty("ruleId").GetString());
        Assert.Equal("Access key created for another user", json.GetProperty("title").GetString());
        Assert.Equal("high", json.GetProperty("severity").GetString());
        Assert.Equal("open", json.GetProperty("status").GetString());
        Assert.Equal(2, json.GetProperty("count").GetInt64());
        Assert.Equal("2026-03-01T10:00:00.0000000Z", json.GetProperty("firstSeen").GetString());
        Assert.Equal("2026-03-01T10:02:00.0000000Z", json.GetProperty("lastSeen").GetString());
        Assert.Equal("111122223333", json.GetProperty("account").GetString());
        Assert.Equal("arn:aws:iam::111122223333:user/alice", json.GetProperty("principal").GetString());
        Assert.Equal("alice", json.GetProperty("dedupKey").GetString());
        Assert.Equal("bob", json.GetProperty("resource").GetProperty("userName").GetString());
        Assert.Equal(2, json.GetProperty("resource").GetProperty("accessKeyId").GetArrayLength());
        Assert.StartsWith("Ask alice why <bob>", json.GetProperty("runbook").GetString());
        Assert.StartsWith("Deactivate the key", json.GetProperty("remediation").GetString());

        var record = Assert.Single(_store.Deliveries("soc").Values);
        Assert.Equal((2L, "open"), (record.Count, record.Status));
        Assert.False(File.Exists(DeadLetterPath));
    }

    [Fact]
    public async Task A_500_is_retried_and_then_delivered()
    {
        using var server = new TestHttpServer(new Reply(500, "try later"), Reply.Ok);
        var summary = await Run([Webhook(server.Url())], Alert());

        Assert.Equal(2, server.Requests.Count);
        Assert.Equal(server.Requests[0].Text, server.Requests[1].Text);
        Assert.Equal((1, 0, 1, 0), (summary.Sent, summary.Failed, summary.Retries, summary.DeadLettered));
        Assert.Contains(_reported, m => m.Contains("HTTP 500", StringComparison.Ordinal) && m.Contains("retrying", StringComparison.Ordinal));
        Assert.Single(_store.Deliveries("soc"));
        Assert.False(File.Exists(DeadLetterPath));
    }

    [Fact]
    public async Task A_429_is_retried_after_the_delay_the_server_asks_for()
    {
        using var server = new TestHttpServer(new Reply(429, "rate_limited", RetryAfter: "0"), Reply.Ok);
        var summary = await Run([Webhook(server.Url())], Alert());
        Assert.Equal((1, 1), (summary.Sent, summary.Retries));
    }

    [Fact]
    public async Task A_request_that_stalls_past_the_timeout_is_retried_then_dead_lettered()
    {
        using var server = new TestHttpServer(new Reply(200, Stall: TimeSpan.FromSeconds(30)));
        var d = Webhook(server.Url()) with { Timeout = TimeSpan.FromMilliseconds(500), Retries = 2 };
        var summary = await Run([d], Alert());

        // The server notes a request when it has read it, which on a busy machine can be after the client gave up.
        for (int i = 0; i < 100 && server.Requests.Count < 3; i++) await Task.Delay(20);
        Assert.Equal(3, server.Requests.Count);
        Assert.Equal((0, 1, 2, 1), (summary.Sent, summary.Failed, summary.Retries, summary.DeadLettered));
        var letter = Assert.Single(DeadLetters());
        Assert.Equal(("soc", "0a1b2c3d4e5f6a7b", 3, false), (letter.Destination, letter.AlertId, letter.Attempts, letter.Permanent));
        Assert.Contains("no response within 0.5s", letter.LastError, StringComparison.Ordinal);
        Assert.Empty(_store.Deliveries("soc"));
    }

    [Fact]
    public async Task A_400_is_dead_lettered_at_once()
    {
        using var server = new TestHttpServer(new Reply(400, "invalid_payload"));
        var summary = await Run([Webhook(server.Url())], Alert());

        Assert.Single(server.Requests);
        Assert.Equal((0, 1, 0, 1), (summary.Sent, summary.Failed, summary.Retries, summary.DeadLettered));
        var letter = Assert.Single(DeadLetters());
        Assert.True(letter.Permanent);
        Assert.Equal(400, letter.HttpStatus);
        Assert.Equal(1, letter.Attempts);
        Assert.Contains("invalid_payload", letter.LastError, StringComparison.Ordinal);
    }

    [Fact]
    public async Task A_server_that_is_down_is_dead_lettered_and_the_rest_of_its_alerts_are_not_attempted()
    {
        var d = Webhook(TestHttpServer.RefusingUrl()) with { Retries = 2 };
        var summary = await Run([d], Alert("1111111111111111"), Alert("2222222222222222"));

        Assert.Equal((0, 2, 2, 2), (summary.Sent, summary.Failed, summary.Retries, summary.DeadLettered));
        var letters = DeadLetters();
        Assert.Equal(["1111111111111111", "2222222222222222"], letters.Select(l => l.AlertId));
        Assert.Equal(3, letters[0].Attempts);
        Assert.Equal("connection refused", letters[0].LastError);
        Assert.Equal(0, letters[1].Attempts);
        Assert.StartsWith("not attempted", letters[1].LastError, StringComparison.Ordinal);
    }

    [Fact]
    public async Task The_next_run_delivers_the_dead_letters_and_removes_them()
    {
        using (var refusing = new TestHttpServer(new Reply(400, "bad")))
            await Run([Webhook(TestHttpServer.RefusingUrl()) with { Retries = 1 }, Webhook(refusing.Url(), "chat") with { Retries = 1 }], Alert("1111111111111111"));
        Assert.Equal([("soc", 2), ("chat", 1)], DeadLetters().Select(l => (l.Destination, l.Attempts)).OrderByDescending(x => x.Destination));
        var firstFailed = DeadLetters().Single(l => l.Destination == "soc").FirstFailed;

        // Still down: the entry stays, with its attempts added up.
        await Run([Webhook(TestHttpServer.RefusingUrl()) with { Retries = 1 }, Webhook(TestHttpServer.RefusingUrl(), "chat") with { Retries = 0 }], Alert("1111111111111111"));
        var soc = DeadLetters().Single(l => l.Destination == "soc");
        Assert.Equal(4, soc.Attempts);
        Assert.Equal(firstFailed, soc.FirstFailed);

        using var server = new TestHttpServer(Reply.Ok);
        var summary = await Run([Webhook(server.Url()), Webhook(server.Url(), "chat")], Alert("1111111111111111"));
        Assert.Equal((2, 2, 0), (summary.Sent, summary.Redelivered, summary.DeadLettered));
        Assert.Equal(2, server.Requests.Count);
        Assert.False(File.Exists(DeadLetterPath));
    }

    [Fact]
    public async Task Dead_letters_of_a_destination_missing_from_the_configuration_are_kept()
    {
        await Run([Webhook(TestHttpServer.RefusingUrl(), "gone") with { Retries = 0 }], Alert());
        using var server = new TestHttpServer(Reply.Ok);
        var summary = await Run([Webhook(server.Url())], Alert());
        Assert.Equal((1, 1), (summary.Sent, summary.DeadLettered));
        Assert.Equal("gone", Assert.Single(DeadLetters()).Destination);
        Assert.Contains(summary.Messages, m => m.Contains("'gone', which is not configured, are kept", StringComparison.Ordinal));
    }

    [Fact]
    public async Task An_unchanged_alert_is_not_sent_twice()
    {
        using var server = new TestHttpServer(Reply.Ok);
        await Run([Webhook(server.Url())], Alert());
        var summary = await Run([Webhook(server.Url())], Alert());

        Assert.Single(server.Requests);
        Assert.Equal((0, 1), (summary.Sent, summary.Unchanged));
    }

    [Fact]
    public async Task An_alert_that_grew_or_changed_status_is_sent_again_as_an_update()
    {
        using var server = new TestHttpServer(Reply.Ok);
        await Run([Webhook(server.Url())], Alert(count: 1));
        var grown = await Run([Webhook(server.Url())], Alert(count: 4));
        var closed = await Run([Webhook(server.Url())], Alert(count: 4, status: "closed", statusReason: "expected rotation"));

        Assert.Equal((1, 1), (grown.Sent, closed.Sent));
        Assert.Equal(3, server.Requests.Count);
        Assert.Equal(4, server.Requests[1].Json.GetProperty("count").GetInt64());
        Assert.Equal("updated", server.Requests[1].Json.GetProperty("change").GetString());
        Assert.Equal("closed", server.Requests[2].Json.GetProperty("status").GetString());
        Assert.Equal("expected rotation", server.Requests[2].Json.GetProperty("statusReason").GetString());
        Assert.Equal((4L, "closed"), (_store.Deliveries("soc")["0a1b2c3d4e5f6a7b"].Count, _store.Deliveries("soc")["0a1b2c3d4e5f6a7b"].Status));
    }

    [Fact]
    public async Task An_alert_closed_before_it_was_ever_sent_is_not_sent()
    {
        using var server = new TestHttpServer(Reply.Ok);
        var summary = await Run([Webhook(server.Url())], Alert(status: "closed"));
        Assert.Empty(server.Requests);
        Assert.Equal(0, summary.Sent);
    }

    [Fact]
    public async Task Each_destination_gets_only_the_alerts_its_severity_and_rule_filters_accept()
    {
        using var server = new TestHttpServer(Reply.Ok);
        var pager = Webhook(server.Url("/pager"), "pager") with { MinSeverity = Severity.Critical };
        var iam = Webhook(server.Url("/iam"), "iam") with { Rules = ["aws.iam.*", "aws.s?.public-*"] };
        var summary = await Run([pager, iam],
            Alert("1000000000000000", severity: Severity.Critical, ruleId: "aws.ec2.open-ssh"),
            Alert("2000000000000000", severity: Severity.Low, ruleId: "aws.iam.root-login"),
            Alert("3000000000000000", severity: Severity.High, ruleId: "aws.s3.public-bucket"),
            Alert("4000000000000000", severity: Severity.High, ruleId: "aws.ec2.open-rdp"));

        Assert.Equal(3, summary.Sent);
        Assert.Equal(["1000000000000000"], server.Requests.Where(r => r.Target == "/pager").Select(r => r.Json.GetProperty("id").GetString()));
        Assert.Equal(["2000000000000000", "3000000000000000"], server.Requests.Where(r => r.Target == "/iam").Select(r => r.Json.GetProperty("id").GetString()).Order());
    }

    [Fact]
    public async Task A_destination_that_is_down_does_not_stop_the_others()
    {
        using var server = new TestHttpServer(Reply.Ok);
        var summary = await Run([Webhook(TestHttpServer.RefusingUrl(), "down") with { Retries = 1 }, Webhook(server.Url(), "up")], Alert());
        Assert.Equal((1, 1, 1), (summary.Sent, summary.Failed, summary.DeadLettered));
        Assert.Single(server.Requests);
        Assert.Equal("down", Assert.Single(DeadLetters()).Destination);
    }

    [Fact]
    public async Task Secrets_never_appear_in_messages_the_summary_or_the_dead_letter_file()
    {
        // A receiver that echoes the request back in its error, as some do.
        using var echo = new TestHttpServer((r, _) => new Reply(401, $"bad token {r.Header("Authorization")} for POST {r.Target}"));
        using var broken = new TestHttpServer(new Reply(503, "down"));
        using var stalled = new TestHttpServer(new Reply(200, Stall: TimeSpan.FromSeconds(30)));
        var destinations = new[]
        {
            Webhook(echo.Url(), "echo"),
            Webhook(broken.Url(), "broken") with { Retries = 1 },
            Webhook(TestHttpServer.RefusingUrl(), "refused") with { Retries = 1 },
            Webhook(stalled.Url(), "stalled") with { Retries = 0, Timeout = TimeSpan.FromMilliseconds(100) },
        };
        var summary = await Run(destinations, Alert());

        Assert.Equal(4, summary.Failed);
        var everything = string.Join("\n", summary.Messages) + "\n" + string.Join("\n", _reported) + "\n" + summary + "\n"
            + File.ReadAllText(DeadLetterPath) + "\n" + string.Join("\n", destinations.Select(d => d.ToString()));
        Assert.DoesNotContain(Token, everything, StringComparison.Ordinal);
        Assert.DoesNotContain(SecretPath, everything, StringComparison.Ordinal);
        Assert.Contains("destination 'echo' (http://127.0.0.1:" + echo.Port + "/…)", everything, StringComparison.Ordinal);
        Assert.Contains("HTTP 401", everything, StringComparison.Ordinal);
    }

    [Fact]
    public async Task A_store_that_fails_is_reported_and_nothing_throws()
    {
        using var server = new TestHttpServer(Reply.Ok);
        using var dispatcher = new AlertDispatcher([Webhook(server.Url())], new FailingStore(failReads: false), DeadLetterPath, FastOptions(_reported));
        var summary = await dispatcher.DispatchAsync([Alert()]);
        Assert.Equal(1, summary.Sent);
        Assert.Contains(summary.Messages, m => m.Contains("could not be recorded", StringComparison.Ordinal));

        using var unreadable = new AlertDispatcher([Webhook(server.Url())], new FailingStore(failReads: true), DeadLetterPath, FastOptions(_reported));
        var skipped = await unreadable.DispatchAsync([Alert()]);
        Assert.Equal(0, skipped.Sent);
        Assert.Single(server.Requests);
    }

    [Fact]
    public async Task Canceling_returns_a_summary_and_keeps_earlier_dead_letters()
    {
        await Run([Webhook(TestHttpServer.RefusingUrl()) with { Retries = 0 }], Alert());
        using var server = new TestHttpServer(new Reply(200, Stall: TimeSpan.FromSeconds(30)));
        using var cts = new CancellationTokenSource(TimeSpan.FromMilliseconds(200));
        using var dispatcher = new AlertDispatcher([Webhook(server.Url())], _store, DeadLetterPath, FastOptions());
        var summary = await dispatcher.DispatchAsync([Alert()], cts.Token);
        Assert.True(summary.Canceled);
        Assert.Equal(0, summary.Sent);
        Assert.Single(DeadLetters());
    }

    [Fact]
    public async Task A_damaged_dead_letter_file_is_reported_and_the_good_lines_are_kept()
    {
        File.WriteAllText(DeadLetterPath, "not json\n" + JsonSerializer.Serialize(new
        {
            destination = "soc", alertId = "0a1b2c3d4e5f6a7b", ruleId = "r", attempts = 2, lastError = "x", permanent = false,
            firstFailed = DestinationTestSupport.T0, lastAttempt = DestinationTestSupport.T0,
        }) + "\n");
        using var server = new TestHttpServer(Reply.Ok);
        var summary = await Run([Webhook(server.Url())], Alert());
        Assert.Equal((1, 1), (summary.Sent, summary.Redelivered));
        Assert.Contains(summary.Messages, m => m.Contains(":1: not a dead letter", StringComparison.Ordinal));
        Assert.False(File.Exists(DeadLetterPath));
    }

    private sealed class FailingStore(bool failReads) : IDeliveryStore
    {
        public IReadOnlyDictionary<string, DeliveryRecord> Deliveries(string destination) =>
            failReads ? throw new IOException("disk I/O error") : new Dictionary<string, DeliveryRecord>();

        public void RecordDelivery(DeliveryRecord delivery) => throw new IOException("database is locked");
    }
}
