using System.Text.Json;
using Moat.Destinations;
using Moat.Tests.Support;
using static Moat.Tests.Destinations.DestinationTestSupport;

namespace Moat.Tests.Destinations;

public sealed class AlertPayloadTests
{
    private static JsonElement Parse(byte[] body) => JsonDocument.Parse(body).RootElement;

    private static List<string> FieldTexts(JsonElement blocks) =>
        [.. blocks.EnumerateArray().Where(b => b.TryGetProperty("fields", out _)).SelectMany(b => b.GetProperty("fields").EnumerateArray()).Select(f => f.GetProperty("text").GetString()!)];

    private static List<string> SectionTexts(JsonElement blocks) =>
        [.. blocks.EnumerateArray().Where(b => b.GetProperty("type").GetString() == "section" && b.TryGetProperty("text", out _)).Select(b => b.GetProperty("text").GetProperty("text").GetString()!)];

    [Fact]
    public async Task A_slack_destination_receives_an_incoming_webhook_message_with_text_and_blocks()
    {
        using var server = new TestHttpServer(Reply.Ok);
        using var tmp = new TempDir();
        var slack = new Destination
        {
            Name = "chat",
            Type = DestinationType.Slack,
            Url = server.Url(),
            MinSeverity = Moat.Rules.Severity.Info,
            RunbookUrl = "https://wiki.example.com/moat/alerts/",
        };
        using var dispatcher = new AlertDispatcher([slack], new InMemoryDeliveryStore(), Path.Combine(tmp.Path, "dl.jsonl"), FastOptions());
        var summary = await dispatcher.DispatchAsync([Alert(count: 3)]);
        Assert.Equal(1, summary.Sent);

        var request = Assert.Single(server.Requests);
        Assert.Null(request.Header("Authorization"));
        var json = request.Json;
        Assert.Equal(["text", "blocks"], json.EnumerateObject().Select(p => p.Name));
        var text = json.GetProperty("text").GetString()!;
        Assert.Contains("[HIGH] Access key created for another user", text, StringComparison.Ordinal);
        Assert.Contains("arn:aws:iam::111122223333:user/alice", text, StringComparison.Ordinal);

        var blocks = json.GetProperty("blocks");
        Assert.Equal(["header", "section", "section", "section", "context"], blocks.EnumerateArray().Select(b => b.GetProperty("type").GetString()));
        var header = blocks[0].GetProperty("text");
        Assert.Equal("plain_text", header.GetProperty("type").GetString());
        Assert.Equal("Access key created for another user", header.GetProperty("text").GetString());

        var fields = FieldTexts(blocks);
        Assert.Contains("*Severity*\nHIGH", fields);
        Assert.Contains("*Principal*\narn:aws:iam::111122223333:user/alice", fields);
        Assert.Contains("*Rule*\naws.iam.access-key-created", fields);
        Assert.Contains(fields, f => f.StartsWith("*Matches*\n3 matches", StringComparison.Ordinal));

        var sections = SectionTexts(blocks);
        Assert.Equal("*Resource*\nuserName: bob\naccessKeyId: AKIA1, AKIA2", sections[0]);
        Assert.StartsWith("*Runbook*\nAsk alice why &lt;bob&gt; needs a key &amp; who approved it.", sections[1], StringComparison.Ordinal);
        Assert.EndsWith("\nhttps://wiki.example.com/moat/alerts/0a1b2c3d4e5f6a7b", sections[1], StringComparison.Ordinal);
    }

    [Fact]
    public void A_runbook_url_with_an_id_placeholder_gets_the_id_in_place()
    {
        var d = Webhook(new Uri("https://example.com/")) with { RunbookUrl = "https://wiki.example.com/alert?id={id}&src=moat" };
        Assert.Equal("https://wiki.example.com/alert?id=0a1b2c3d4e5f6a7b&src=moat", d.RunbookLink("0a1b2c3d4e5f6a7b"));
        var json = Parse(AlertPayloads.For(d, Alert(), AlertChange.New));
        Assert.Equal("https://wiki.example.com/alert?id=0a1b2c3d4e5f6a7b&src=moat", json.GetProperty("runbookUrl").GetString());
    }

    [Fact]
    public void Slack_text_from_events_cannot_mention_anyone_or_overflow_a_block()
    {
        var alert = Alert() with { Title = "<!channel> " + new string('x', 400), Principal = "<@U123>" };
        var json = Parse(AlertPayloads.Slack(alert, null, AlertChange.Updated));
        // Slack parses mentions in the top-level text and in mrkdwn; the header is plain_text, which it does not parse.
        var blocks = json.GetProperty("blocks");
        var mrkdwn = FieldTexts(blocks).Concat(SectionTexts(blocks)).Append(json.GetProperty("text").GetString()!).ToList();
        Assert.Contains(mrkdwn, t => t.Contains("&lt;!channel&gt;", StringComparison.Ordinal));
        Assert.All(mrkdwn, t => Assert.DoesNotContain("<!channel>", t, StringComparison.Ordinal));
        Assert.All(mrkdwn, t => Assert.DoesNotContain("<@U123>", t, StringComparison.Ordinal));
        Assert.StartsWith("Updated: ", json.GetProperty("text").GetString(), StringComparison.Ordinal);
        Assert.True(json.GetProperty("blocks")[0].GetProperty("text").GetProperty("text").GetString()!.Length <= 150);
    }

    [Fact]
    public void A_finding_that_does_not_parse_still_gives_a_payload()
    {
        var alert = Alert() with { Matches = [Alert().Matches[0] with { FindingJson = "{broken" }] };
        var webhook = Parse(AlertPayloads.Webhook(alert, null, AlertChange.New));
        Assert.Equal(JsonValueKind.Object, webhook.GetProperty("resource").ValueKind);
        Assert.Equal("", webhook.GetProperty("runbook").GetString());
        var slack = Parse(AlertPayloads.Slack(alert, null, AlertChange.New));
        Assert.Contains("*Runbook*\n(none)", SectionTexts(slack.GetProperty("blocks")));
    }
}
