using System.Text;
using Moat.Evaluate;
using Moat.Read;
using Moat.Rules;
using Moat.Scan;
using Moat.Tests.Read;
using static Moat.Tests.Read.Split;

namespace Moat.Tests.Scan;

/// <summary>One input through read and evaluate, from real files on disk to the counts and findings of a FileResult.</summary>
public sealed class ScannerScanOneTests : IDisposable
{
    private const string AdminPortRule = "AWS.EC2.SecurityGroupAdminPortOpenToWorld";

    private static readonly Lazy<RuleIndex> Builtin = new(() => new RuleIndex(RuleLoader.Load(true, []).Rules));

    private readonly TempDir _dir = new();

    public void Dispose() => _dir.Dispose();

    private static Scanner NoRules() => new(new RuleIndex([]), 1);

    private InputFile Write(string name, string text) => _dir.Input(name, Encoding.UTF8.GetBytes(text));

    /// <summary>SSH opened to the world: the built-in admin-port rule matches this event.</summary>
    private static string SshOpenToWorld(string groupId) =>
        """{"eventVersion":"1.08","eventTime":"2024-01-01T00:00:00Z","eventSource":"ec2.amazonaws.com","eventName":"AuthorizeSecurityGroupIngress","awsRegion":"us-east-1","recipientAccountId":"111122223333","requestParameters":{"groupId":"GROUP","ipPermissions":{"items":[{"ipProtocol":"tcp","fromPort":22,"toPort":22,"groups":{},"ipRanges":{"items":[{"cidrIp":"0.0.0.0/0"}]},"ipv6Ranges":{},"prefixListIds":{}}]}}}""".Replace("GROUP", groupId);

    [Fact]
    public void Counts_records_events_and_non_events_of_a_complete_file()
    {
        var input = Write("a.json", "{\"Records\":[" + Event(1) + ",{\"digestPublicKeyFingerprint\":\"x\"}," + Event(2) + ",{\"eventName\":\"\"}]}");
        var r = NoRules().ScanOne(input);
        Assert.Same(input, r.Input);
        Assert.True(r.Complete);
        Assert.Empty(r.Errors);
        Assert.Empty(r.Findings);
        Assert.Equal(4, r.Records);
        Assert.Equal(2, r.Events);
        Assert.Equal(2, r.NonEvents);
        Assert.Equal(new RecordPosition(2, OffsetOf(File.ReadAllText(input.Path!), "{\"digest"), 1), r.FirstNonEvent);
    }

    [Fact]
    public void Counts_only_records_that_were_delivered_when_some_are_broken()
    {
        var input = Write("b.json", "[" + Event(1) + ",42,{\"eventName\":\"X\",,}," + Event(2) + "]");
        var r = NoRules().ScanOne(input);
        // A record that is not an object or not valid JSON is an error, not an event; the file still reads to its end.
        Assert.True(r.Complete);
        Assert.Equal([2L, 3L], r.Errors.Select(e => e.Record!.Value));
        Assert.Equal(3, r.Records);
        Assert.Equal(2, r.Events);
        Assert.Equal(0, r.NonEvents);
    }

    [Fact]
    public void Marks_a_truncated_file_incomplete_and_keeps_the_counts_before_the_break()
    {
        var text = "{\"Records\":[" + Event(1) + "," + Event(2) + "," + Event(3);
        var input = Write("cut.json", text[..^10]);
        var r = NoRules().ScanOne(input);
        Assert.False(r.Complete);
        var e = Assert.Single(r.Errors);
        Assert.Equal(input.DisplayName, e.Source);
        Assert.StartsWith("record 3 is cut off", e.Reason);
        Assert.Equal(2, r.Records);
        Assert.Equal(2, r.Events);
    }

    [Fact]
    public void Marks_a_truncated_gzip_file_incomplete_and_keeps_the_events_before_the_break()
    {
        var records = Enumerable.Range(1, 3000).Select(n => $"{{\"eventName\":\"E{n}\",\"requestID\":\"{Guid.NewGuid()}\"}}").ToArray();
        var gz = Gzip("{\"Records\":[" + string.Join(",", records) + "]}");
        var input = _dir.Input("cut.json.gz", gz[..(gz.Length * 2 / 3)]);
        var r = NoRules().ScanOne(input);
        Assert.False(r.Complete);
        var e = Assert.Single(r.Errors);
        Assert.Matches("truncated|broke off", e.Reason);
        Assert.InRange(r.Events, 1, records.Length - 1);
        Assert.Equal(r.Records, r.Events);
    }

    [Fact]
    public void Reports_a_missing_file_as_unreadable()
    {
        var missing = _dir.File("gone.json");
        var r = NoRules().ScanOne(new InputFile(missing, missing, 0));
        Assert.False(r.Complete);
        var e = Assert.Single(r.Errors);
        Assert.Equal(missing, e.Source);
        Assert.StartsWith("cannot read: ", e.Reason);
        Assert.Equal(0, r.Records);
    }

    [Fact]
    public void Reports_a_file_that_is_not_json_once_and_counts_nothing()
    {
        var input = Write("notes.log", "line one\nline two\nline three\n");
        var r = NoRules().ScanOne(input);
        Assert.False(r.Complete);
        Assert.Single(r.Errors);
        Assert.Equal((0L, 0L, 0L), (r.Records, r.Events, r.NonEvents));
    }

    [Fact]
    public void Finds_a_rule_match_in_an_s3_delivery_file()
    {
        var input = Write("ct.json", "{\"Records\":[" + Event(1) + "," + SshOpenToWorld("sg-1") + "]}");
        var r = new Scanner(Builtin.Value, 1).ScanOne(input);
        Assert.True(r.Complete);
        Assert.Empty(r.Errors);
        var f = Assert.Single(r.Findings);
        Assert.Equal(AdminPortRule, f.RuleId);
        Assert.Equal(2, f.Record);
        Assert.Equal(input.DisplayName, f.Source);
    }

    [Fact]
    public void Evaluates_the_event_inside_an_eventbridge_envelope()
    {
        var envelope = "{\"version\":\"0\",\"id\":\"1\",\"detail-type\":\"AWS API Call via CloudTrail\",\"source\":\"aws.ec2\",\"detail\":" + SshOpenToWorld("sg-2") + "}";
        var input = _dir.Input("eb.jsonl.gz", Gzip(Event(1) + "\n" + envelope + "\n"));
        var r = new Scanner(Builtin.Value, 1).ScanOne(input);
        Assert.True(r.Complete);
        Assert.Empty(r.Errors);
        Assert.Equal((2L, 2L, 0L), (r.Records, r.Events, r.NonEvents));
        var f = Assert.Single(r.Findings);
        Assert.Equal(AdminPortRule, f.RuleId);
        Assert.Equal("AuthorizeSecurityGroupIngress", f.EventName);
        Assert.Equal(2, f.Record);
        // The finding carries the CloudTrail event itself, not the envelope around it.
        Assert.Equal(SshOpenToWorld("sg-2"), Encoding.UTF8.GetString(f.Event.Span));
    }

    [Fact]
    public void Scans_the_same_content_the_same_way_plain_or_gzipped()
    {
        var text = "[" + string.Join(",", Enumerable.Range(1, 50).Select(Event)) + ",{\"x\":1}]";
        var plain = NoRules().ScanOne(_dir.Input("p.json", Encoding.UTF8.GetBytes(text)));
        var zipped = NoRules().ScanOne(_dir.Input("z.json", Gzip(text)));
        Assert.Equal((51L, 50L, 1L, true), (plain.Records, plain.Events, plain.NonEvents, plain.Complete));
        Assert.Equal((plain.Records, plain.Events, plain.NonEvents, plain.Complete), (zipped.Records, zipped.Events, zipped.NonEvents, zipped.Complete));
    }

    [Fact]
    public void Reports_a_gzip_file_cut_in_its_trailer_although_every_record_arrived()
    {
        var gz = Gzip("{\"Records\":[" + string.Join(",", Enumerable.Range(1, 50).Select(Event)) + "]}");
        var r = NoRules().ScanOne(_dir.Input("trailer.json.gz", gz[..^4]));
        Assert.False(r.Complete);
        Assert.Equal(50, r.Events);
        Assert.Contains("gzip data ends early", Assert.Single(r.Errors).Reason);
    }

    [Fact]
    public void Reports_json_lines_gzip_cut_exactly_between_lines()
    {
        var text = string.Join("\n", Enumerable.Range(1, 300).Select(Event)) + "\n";
        var gz = Gzip(text);
        // Cut the compressed stream well inside: GZipStream ends silently; the size check must still see it.
        var r = NoRules().ScanOne(_dir.Input("cut.jsonl.gz", gz[..^9]));
        Assert.False(r.Complete);
        Assert.Contains(r.Errors, e => e.Reason.Contains("truncated", StringComparison.Ordinal));
    }

    [Fact]
    public void A_whole_multi_member_gzip_is_complete()
    {
        var a = Gzip(Event(1) + "\n");
        var b = Gzip(Event(2) + "\n");
        var r = NoRules().ScanOne(_dir.Input("two.jsonl.gz", [.. a, .. b]));
        Assert.True(r.Complete);
        Assert.Empty(r.Errors);
        Assert.Equal(2, r.Events);
    }
}
