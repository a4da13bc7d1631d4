using System.Text.Json;
using Moat.Alerts;
using Moat.Emit;
using Moat.Rules;
using Moat.Tests.Support;

namespace Moat.Tests.Emit;

public sealed class JsonAlertWriterTests
{
    private static string Jsonl(Alert a) => AlertSamples.Line(s => new JsonAlertWriter(s), a);

    /// <summary>What <c>moat alerts list --format jsonl</c> printed before this writer existed (CliApp's anonymous object).</summary>
    private static string AsListPrinted(Alert a) => JsonSerializer.Serialize(new
    {
        id = a.Id, ruleId = a.RuleId, dedupKey = a.DedupKey, severity = a.Severity.Name(), status = a.Status, statusReason = a.StatusReason,
        count = a.Count, firstSeen = a.FirstSeen.UtcDateTime.ToString("O"), lastSeen = a.LastSeen.UtcDateTime.ToString("O"),
        title = a.Title, account = a.Account, principal = a.Principal,
    });

    [Theory]
    [InlineData(nameof(AlertSamples.CloudTrailUpdated))]
    [InlineData(nameof(AlertSamples.Login))]
    [InlineData(nameof(AlertSamples.Closed))]
    public void Keeps_the_fields_alerts_list_prints_and_adds_the_match_event_ids(string sample)
    {
        var a = AlertSamples.ByName(sample);
        var line = JsonDocument.Parse(Jsonl(a)).RootElement;
        var before = JsonDocument.Parse(AsListPrinted(a)).RootElement;
        var names = line.EnumerateObject().Select(p => p.Name).ToList();
        // Same fields, same order, same values; matches comes last.
        Assert.Equal([.. before.EnumerateObject().Select(p => p.Name), "matches"], names);
        foreach (var p in before.EnumerateObject())
            Assert.Equal(p.Value.GetRawText(), line.GetProperty(p.Name).GetRawText());
        Assert.Equal(a.Matches.Count, line.GetProperty("matches").GetArrayLength());
    }

    [Fact]
    public void Lists_matches_by_event_id_in_time_order()
    {
        var line = JsonDocument.Parse(Jsonl(AlertSamples.CloudTrailUpdated)).RootElement;
        Assert.Equal(["00000000-0000-0000-0000-000000033233", "00000000-0000-0000-0000-0000000d0001"],
            line.GetProperty("matches").EnumerateArray().Select(m => m.GetString()));
        var login = JsonDocument.Parse(Jsonl(AlertSamples.Login)).RootElement;
        Assert.Equal(["postgresql.log:118", "postgresql.log:164"], login.GetProperty("matches").EnumerateArray().Select(m => m.GetString()));
    }

    [Fact]
    public void Writes_an_alert_whose_stored_finding_is_unreadable_with_the_stored_key()
    {
        var a = AlertSamples.CloudTrailNew;
        var broken = a with { Matches = [a.Matches[0] with { FindingJson = "{\"ruleId\":" }] };
        var line = JsonDocument.Parse(Jsonl(broken)).RootElement;
        Assert.Equal(a.Matches[0].EventKey, line.GetProperty("matches")[0].GetString());
    }

    [Fact]
    public void Writers_of_the_other_formats_skip_an_alert_whose_stored_finding_is_unreadable()
    {
        var a = AlertSamples.CloudTrailNew;
        var broken = a with { Matches = [a.Matches[0] with { FindingJson = "{\"ruleId\":" }] };
        foreach (var format in AlertWriters.Formats.Where(f => f != "jsonl"))
        {
            using var ms = new MemoryStream();
            using var w = AlertWriters.Create(format, ms, new AlertExportOptions { AccountId = "111122223333" })!;
            Assert.False(w.Write(broken));
            Assert.True(w.Write(a));
            Assert.Equal(broken.Id, Assert.Single(w.Skipped).AlertId);
        }
    }

    [Fact]
    public void Creates_a_writer_for_each_format_name_and_none_for_others()
    {
        Assert.Equal(["jsonl", "ocsf", "asff", "guardduty"], AlertWriters.Formats);
        using var ms = new MemoryStream();
        Assert.IsType<JsonAlertWriter>(AlertWriters.Create("jsonl", ms));
        Assert.IsType<OcsfAlertWriter>(AlertWriters.Create("ocsf", ms));
        Assert.IsType<AsffAlertWriter>(AlertWriters.Create("asff", ms));
        Assert.IsType<GuardDutyAlertWriter>(AlertWriters.Create("guardduty", ms));
        Assert.Null(AlertWriters.Create("table", ms));
    }

    [Fact]
    public void Sample_alerts_match_the_golden_jsonl()
    {
        var lines = AlertSamples.Lines(s => new JsonAlertWriter(s), [.. AlertSamples.All]);
        Golden.AssertMatches("Emit/golden/alerts.jsonl", string.Join("\n", lines) + "\n");
    }
}
