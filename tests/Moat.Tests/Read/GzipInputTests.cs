using System.Text;
using Moat.Read;
using static Moat.Tests.Read.Split;

namespace Moat.Tests.Read;

/// <summary>gzip is recognised by its magic bytes and undone before splitting, including broken and multi-member files.</summary>
public sealed class GzipInputTests : IDisposable
{
    private readonly TempDir _dir = new();

    public void Dispose() => _dir.Dispose();

    private static string Wrapper(IEnumerable<string> records) => "{\"Records\":[" + string.Join(",", records) + "]}";

    /// <summary>Records that compress poorly, so a cut in the middle of the gzip lands in the middle of the JSON.</summary>
    private static string[] Noisy(int count)
    {
        var random = new Random(1234);
        return [.. Enumerable.Range(1, count).Select(n =>
            $"{{\"eventName\":\"E{n}\",\"requestID\":\"{Convert.ToHexString(BitConverter.GetBytes(random.NextInt64()))}{Convert.ToHexString(BitConverter.GetBytes(random.NextInt64()))}\"}}")];
    }

    [Theory]
    [MemberData(nameof(BufferSizes), MemberType = typeof(Split))]
    public void Decodes_a_json_gz_file(int bufferSize)
    {
        string[] records = [Event(1), Event(2), Event(3)];
        var input = _dir.Input("AWSLogs/111122223333/CloudTrail/us-east-1/2024/01/01/x.json.gz", Gzip(Wrapper(records)));
        var run = RunFile(input, bufferSize);
        Assert.True(run.Complete);
        Assert.Empty(run.Sink.Errors);
        Assert.Equal(records, run.Sink.Texts);
    }

    [Fact]
    public void Decodes_a_gzip_file_named_json()
    {
        string[] records = [Event(1), Event(2)];
        var input = _dir.Input("renamed.json", Gzip(string.Join("\n", records) + "\n"));
        var run = RunFile(input, 16);
        Assert.True(run.Complete);
        Assert.Empty(run.Sink.Errors);
        Assert.Equal(records, run.Sink.Texts);
    }

    [Fact]
    public void Reads_a_plain_file_named_json_gz_as_plain_json()
    {
        string[] records = [Event(1), Event(2)];
        var input = _dir.Input("not-really.json.gz", Encoding.UTF8.GetBytes(Wrapper(records)));
        var run = RunFile(input);
        Assert.True(run.Complete);
        Assert.Empty(run.Sink.Errors);
        Assert.Equal(records, run.Sink.Texts);
    }

    [Theory]
    [MemberData(nameof(BufferSizes), MemberType = typeof(Split))]
    public void Reads_the_records_of_every_member_of_a_multi_member_gzip(int bufferSize)
    {
        // `cat a.json.gz b.json.gz > both.json.gz` is a valid gzip file with two members.
        string[] first = [Event(1), Event(2)], second = [Event(3), Event(4), Event(5)];
        var input = _dir.Input("both.json.gz", [.. Gzip(Wrapper(first)), .. Gzip(Wrapper(second))]);
        var run = RunFile(input, bufferSize);
        Assert.True(run.Complete);
        Assert.Empty(run.Sink.Errors);
        Assert.Equal([.. first, .. second], run.Sink.Texts);
        Assert.Equal([1L, 2L, 3L, 4L, 5L], run.Sink.Records.Select(r => r.Position.Index));
    }

    [Fact]
    public void Reads_json_lines_split_over_two_gzip_members()
    {
        var input = _dir.Input("lines.jsonl.gz", [.. Gzip(Event(1) + "\n" + Event(2) + "\n"), .. Gzip(Event(3) + "\n")]);
        var run = RunFile(input, 16);
        Assert.True(run.Complete);
        Assert.Empty(run.Sink.Errors);
        Assert.Equal([Event(1), Event(2), Event(3)], run.Sink.Texts);
    }

    [Theory]
    [MemberData(nameof(BufferSizes), MemberType = typeof(Split))]
    public void Reports_truncated_gzip_and_keeps_records_before_the_break(int bufferSize)
    {
        var records = Noisy(2000);
        var gz = Gzip(Wrapper(records));
        var input = _dir.Input("cut.json.gz", gz[..(gz.Length / 2)]);
        var run = RunFile(input, bufferSize);

        Assert.False(run.Complete);
        var e = Assert.Single(run.Sink.Errors);
        Assert.Matches("truncated|broke off", e.Reason);
        int got = run.Sink.Records.Count;
        Assert.InRange(got, 1, records.Length - 1);
        // The records delivered are exactly the first ones, complete and in order.
        Assert.Equal(records.Take(got), run.Sink.Texts);
        Assert.Equal(Enumerable.Range(1, got).Select(n => (long)n), run.Sink.Records.Select(r => r.Position.Index));
        Assert.Contains($"the {got} records before it were scanned", e.Reason);
    }

    [Fact]
    public void Reports_truncated_gzip_of_json_lines_and_keeps_the_lines_before_the_break()
    {
        var records = Noisy(2000);
        var gz = Gzip(string.Join("\n", records) + "\n");
        var input = _dir.Input("cut.jsonl.gz", gz[..(gz.Length / 2)]);
        var run = RunFile(input, 64);

        // GZipStream ends a truncated member without an error: the cut-off last line is what shows it.
        Assert.False(run.Complete);
        var e = Assert.Single(run.Sink.Errors);
        Assert.Matches("truncated|broke off", e.Reason);
        int got = run.Sink.Records.Count;
        Assert.InRange(got, 1, records.Length - 1);
        Assert.Equal(got + 1, e.Record);
        Assert.Equal(records.Take(got), run.Sink.Texts);
        Assert.Equal(got, run.Sink.Evaluator.Events);
    }

    [Fact]
    public void Reports_a_gzip_header_followed_by_garbage()
    {
        // 0xFF starts a deflate block of the reserved type 3, which the decoder rejects.
        byte[] bytes = [0x1f, 0x8b, 0x08, 0x00, 0, 0, 0, 0, 0, 0xff, .. Enumerable.Repeat((byte)0xFF, 64)];
        var input = _dir.Input("corrupt.json.gz", bytes);
        var run = RunFile(input, 16);
        Assert.False(run.Complete);
        var e = Assert.Single(run.Sink.Errors);
        Assert.StartsWith("input broke off after 0 records", e.Reason);
        Assert.Empty(run.Sink.Records);
    }

    [Theory]
    [InlineData(new byte[0])]
    [InlineData(new byte[] { 0x1f })]
    public void Reads_inputs_too_short_for_the_magic_bytes_as_plain(byte[] bytes)
    {
        var input = _dir.Input("short.json", bytes);
        var run = RunFile(input);
        Assert.Empty(run.Sink.Records);
        Assert.Equal(bytes.Length == 0, run.Complete);
        Assert.Equal(bytes.Length == 0 ? 0 : 1, run.Sink.Errors.Count);
    }
}
