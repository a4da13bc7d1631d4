using System.Text;
using Moat.Read;
using static Moat.Tests.Read.Split;

namespace Moat.Tests.Read;

/// <summary>Every layout CloudTrail is found in is cut into exactly its records, whatever the buffer size.</summary>
public sealed class RecordSplitterLayoutTests
{
    private static readonly string[] Three = [Event(1), Event(2), Event(3)];

    private static void AssertRecords((Collector Sink, bool Complete) run, string input, IReadOnlyList<string> expected, IReadOnlyList<long>? lines = null)
    {
        Assert.Empty(run.Sink.Errors);
        Assert.True(run.Complete);
        Assert.Equal(expected, run.Sink.Texts);
        int from = 0;
        for (int k = 0; k < expected.Count; k++)
        {
            var pos = run.Sink.Records[k].Position;
            Assert.Equal(k + 1, pos.Index);
            // ASCII input: the byte offset is the character index, and the record's bytes sit exactly there.
            long at = OffsetOf(input, expected[k], from);
            Assert.Equal(at, pos.ByteOffset);
            from = (int)at + expected[k].Length;
            if (lines is not null) Assert.Equal(lines[k], pos.Line);
        }
        Assert.Equal(expected.Count, run.Sink.Evaluator.Records);
    }

    [Theory]
    [MemberData(nameof(BufferSizes), MemberType = typeof(Split))]
    public void Reads_compact_records_wrapper(int bufferSize)
    {
        var input = """{"Records":[""" + string.Join(",", Three) + "]}";
        var run = Run(input, bufferSize);
        AssertRecords(run, input, Three, [1, 1, 1]);
        Assert.Equal(3, run.Sink.Evaluator.Events);
        Assert.Equal(0, run.Sink.Evaluator.NonEvents);
    }

    [Theory]
    [MemberData(nameof(BufferSizes), MemberType = typeof(Split))]
    public void Reads_pretty_printed_records_wrapper_with_the_line_of_each_record(int bufferSize)
    {
        string[] records =
        [
            "{\n      \"eventName\": \"A\",\n      \"requestParameters\": { \"k\": \"}\" }\n    }",
            "{\n      \"eventName\": \"B\"\n    }",
            "{ \"eventName\": \"C\" }",
        ];
        var input = "{\n  \"Records\" : [\n    " + records[0] + ",\n    " + records[1] + " ,\n\n    " + records[2] + "\n  ]\n}\n";
        var run = Run(input, bufferSize);
        AssertRecords(run, input, records, [3, 7, 11]);
        Assert.Equal(3, run.Sink.Evaluator.Events);
    }

    [Theory]
    [MemberData(nameof(BufferSizes), MemberType = typeof(Split))]
    public void Reads_records_wrapper_with_another_member_after_the_array(int bufferSize)
    {
        var input = """{"Records":[""" + string.Join(",", Three) + """],"digest":{"s3Bucket":"x]}{[","list":[1,{"a":"\"}"}]},"n":2}""";
        var run = Run(input, bufferSize);
        AssertRecords(run, input, Three);
    }

    [Theory]
    [MemberData(nameof(BufferSizes), MemberType = typeof(Split))]
    public void Reads_two_concatenated_records_wrappers(int bufferSize)
    {
        var input = """{"Records":[""" + Three[0] + "," + Three[1] + """]}{"Records":[""" + Three[2] + "]}\n"
            + """{ "Records" : [ ] }""" + "\r\n" + """{"Records":[""" + Event(4) + "]}";
        var run = Run(input, bufferSize);
        AssertRecords(run, input, [.. Three, Event(4)], [1, 1, 1, 3]);
    }

    [Theory]
    [MemberData(nameof(BufferSizes), MemberType = typeof(Split))]
    public void Reads_bare_array(int bufferSize)
    {
        var input = "[\n  " + string.Join(",\n  ", Three) + "\n]\n";
        var run = Run(input, bufferSize);
        AssertRecords(run, input, Three, [2, 3, 4]);
    }

    [Theory]
    [MemberData(nameof(BufferSizes), MemberType = typeof(Split))]
    public void Reads_json_lines_with_crlf_and_blank_lines(int bufferSize)
    {
        var input = Three[0] + "\r\n\r\n" + Three[1] + "  \r\n   \n\n" + Three[2] + "\r\n" + Event(4);
        var run = Run(input, bufferSize);
        // Each record is its line without the CR or trailing blanks.
        AssertRecords(run, input, [.. Three, Event(4)], [1, 3, 6, 7]);
    }

    [Theory]
    [MemberData(nameof(BufferSizes), MemberType = typeof(Split))]
    public void Reads_concatenated_objects_without_line_breaks(int bufferSize)
    {
        var input = string.Concat(Three) + "  " + Event(4);
        var run = Run(input, bufferSize);
        AssertRecords(run, input, [.. Three, Event(4)], [1, 1, 1, 1]);
    }

    [Theory]
    [MemberData(nameof(BufferSizes), MemberType = typeof(Split))]
    public void Reads_a_single_pretty_printed_object_as_one_record(int bufferSize)
    {
        var record = "{\n  \"eventName\": \"ConsoleLogin\",\n  \"additionalEventData\": {\n    \"MFAUsed\": \"No\",\n    \"s\": \"{[\\\"\"\n  }\n}";
        var input = "\n" + record + "\n\n";
        var run = Run(input, bufferSize);
        AssertRecords(run, input, [record], [2]);
        Assert.Equal(1, run.Sink.Evaluator.Events);
    }

    [Theory]
    [MemberData(nameof(BufferSizes), MemberType = typeof(Split))]
    public void Reads_pretty_printed_objects_one_after_another(int bufferSize)
    {
        var a = "{\n  \"eventName\": \"A\"\n}";
        var b = "{\n  \"eventName\": \"B\"\n}";
        var input = a + "\n" + b + "\n";
        var run = Run(input, bufferSize);
        AssertRecords(run, input, [a, b], [1, 4]);
    }

    [Theory]
    [MemberData(nameof(BufferSizes), MemberType = typeof(Split))]
    public void Unwraps_eventbridge_envelopes_and_counts_the_inner_events(int bufferSize)
    {
        string Envelope(int n) =>
            $$$"""{"version":"0","id":"e{{{n}}}","detail-type":"AWS API Call via CloudTrail","source":"aws.ec2","detail":{"eventSource":"ec2.amazonaws.com","eventName":"RunInstances"}}""";
        var other = """{"version":"0","detail-type":"EC2 Instance State-change Notification","detail":{"state":"running"}}""";
        var input = Envelope(1) + "\n" + other + "\n" + Envelope(2) + "\n";
        var run = Run(input, bufferSize);
        AssertRecords(run, input, [Envelope(1), other, Envelope(2)], [1, 2, 3]);
        // The envelopes carry no eventName of their own: the event inside detail is what counts.
        Assert.Equal(2, run.Sink.Evaluator.Events);
        Assert.Equal(1, run.Sink.Evaluator.NonEvents);
        Assert.Equal(2, run.Sink.Evaluator.FirstNonEvent?.Index);
    }

    [Theory]
    [MemberData(nameof(BufferSizes), MemberType = typeof(Split))]
    public void Skips_utf8_byte_order_mark_before_a_records_wrapper(int bufferSize)
    {
        var text = """{"Records":[""" + string.Join(",", Three) + "]}";
        var bytes = (byte[])[0xEF, 0xBB, 0xBF, .. Encoding.UTF8.GetBytes(text)];
        var run = Run(bytes, bufferSize);
        Assert.Empty(run.Sink.Errors);
        Assert.True(run.Complete);
        Assert.Equal(Three, run.Sink.Texts);
        // Offsets count the BOM: they are positions in the input as stored.
        Assert.Equal(3 + OffsetOf(text, Three[0]), run.Sink.Records[0].Position.ByteOffset);
    }

    [Theory]
    [MemberData(nameof(BufferSizes), MemberType = typeof(Split))]
    public void Skips_utf8_byte_order_mark_before_json_lines(int bufferSize)
    {
        var text = string.Join("\n", Three) + "\n";
        var bytes = (byte[])[0xEF, 0xBB, 0xBF, .. Encoding.UTF8.GetBytes(text)];
        var run = Run(bytes, bufferSize);
        Assert.Empty(run.Sink.Errors);
        Assert.Equal(Three, run.Sink.Texts);
        Assert.Equal([1L, 2L, 3L], run.Sink.Records.Select(r => r.Position.Line));
        Assert.Equal(3, run.Sink.Records[0].Position.ByteOffset);
    }

    [Theory]
    [InlineData(1)]
    [InlineData(2)]
    [InlineData(7)]
    public void Reads_the_same_records_when_the_stream_returns_a_few_bytes_per_read(int chunk)
    {
        // Pipes and sockets may hand over fewer bytes than asked for, even at the very start.
        var text = """{"Records":[""" + string.Join(",", Three) + "]}";
        var bytes = (byte[])[0xEF, 0xBB, 0xBF, .. Encoding.UTF8.GetBytes(text)];
        var run = Run(new TrickleStream(bytes, chunk), 16);
        Assert.Empty(run.Sink.Errors);
        Assert.True(run.Complete);
        Assert.Equal(Three, run.Sink.Texts);
    }

    [Theory]
    [MemberData(nameof(BufferSizes), MemberType = typeof(Split))]
    public void Ignores_braces_brackets_escaped_quotes_and_backslashes_inside_strings(int bufferSize)
    {
        string[] records =
        [
            """{"a":"}"}""",
            """{"a":"]","b":"[[[{{{"}""",
            """{"a":"\"}\"","b":"\\"}""",
            """{"a":"\\\"}]\\","b":{"c":"\\\\"}}""",
            """{"a":["}",{"b":"\\u007d"}],"c":"x\\"}""",
        ];
        var input = "[" + string.Join(",", records) + "]";
        var run = Run(input, bufferSize);
        AssertRecords(run, input, records);
    }

    [Fact]
    public void Escapes_split_across_buffer_refills_keep_the_string_open()
    {
        // Slide an escaped quote and an escaped backslash over every position of a 16-byte buffer, so the
        // backslash lands on the last byte before a refill at least once.
        for (int pad = 0; pad < 40; pad++)
        {
            string[] records =
            [
                "{\"p\":\"" + new string('x', pad) + "\\\"}\",\"q\":\"\\\\\"}",
                "{\"eventName\":\"B\"}",
            ];
            var input = "{\"Records\":[" + string.Join(",", records) + "]}";
            var run = Run(input, 16);
            Assert.True(run.Complete, $"pad {pad}");
            Assert.Empty(run.Sink.Errors);
            Assert.Equal(records, run.Sink.Texts);
        }
    }

    [Theory]
    [MemberData(nameof(BufferSizes), MemberType = typeof(Split))]
    public void Grows_the_buffer_for_a_record_larger_than_it(int bufferSize)
    {
        var big = "{\"eventName\":\"Big\",\"blob\":\"" + new string('z', 5000) + "\",\"list\":[" + string.Join(",", Enumerable.Range(0, 300)) + "]}";
        string[] records = [Event(1), big, Event(2)];
        var input = "{\"Records\":[" + string.Join(",", records) + "]}";
        var run = Run(input, bufferSize);
        AssertRecords(run, input, records);
    }

    [Theory]
    [MemberData(nameof(BufferSizes), MemberType = typeof(Split))]
    public void Delivers_many_records_in_order_across_refills(int bufferSize)
    {
        var records = Enumerable.Range(1, 500).Select(Event).ToArray();
        var input = "{\"Records\":[\n" + string.Join(",\n", records) + "\n]}\n";
        var run = Run(input, bufferSize);
        AssertRecords(run, input, records, [.. Enumerable.Range(2, 500).Select(l => (long)l)]);
    }

    [Theory]
    [InlineData("")]
    [InlineData("  \n\r\n\t ")]
    [InlineData("{\"Records\":[]}")]
    [InlineData("[]")]
    [InlineData("[ \n ]\n")]
    public void Reads_inputs_without_records_as_complete_and_empty(string input)
    {
        var run = Run(input, 16);
        Assert.True(run.Complete);
        Assert.Empty(run.Sink.Errors);
        Assert.Empty(run.Sink.Records);
    }

    [Fact]
    public void Reads_an_object_whose_first_member_is_not_records_as_one_record()
    {
        // Only a leading "Records" member marks the S3 delivery layout; anything else is an event by itself.
        var input = """{"eventName":"X","Records":[{"eventName":"inner"}]}""";
        var run = Run(input, 16);
        AssertRecords(run, input, [input]);
        Assert.Equal(1, run.Sink.Evaluator.Events);
    }
}
