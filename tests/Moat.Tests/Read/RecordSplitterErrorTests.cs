using System.Text;
using static Moat.Tests.Read.Split;

namespace Moat.Tests.Read;

/// <summary>Broken input is reported where it breaks, and costs as little of the rest as the layout allows.</summary>
public sealed class RecordSplitterErrorTests
{
    [Theory]
    [MemberData(nameof(BufferSizes), MemberType = typeof(Split))]
    public void Reports_invalid_json_in_one_record_with_its_number_and_offset_and_keeps_the_rest(int bufferSize)
    {
        var input = """{"Records":[{"eventName":"A"},{"eventName":"B",,"x":1},{"eventName":"C"}]}""";
        var run = Run(input, bufferSize);
        Assert.True(run.Complete);
        var e = Assert.Single(run.Sink.Errors);
        Assert.StartsWith("invalid JSON", e.Reason);
        Assert.Equal(Collector.Source, e.Source);
        Assert.Equal(2, e.Record);
        Assert.Equal(1, e.Line);
        // Points at the second comma, the first byte that cannot be JSON.
        Assert.Equal(OffsetOf(input, ",,") + 1, e.ByteOffset);
        Assert.Equal([1L, 2L, 3L], run.Sink.Records.Select(r => r.Position.Index));
        Assert.Equal(2, run.Sink.Evaluator.Events);
    }

    [Theory]
    [MemberData(nameof(BufferSizes), MemberType = typeof(Split))]
    public void Reports_invalid_json_in_a_pretty_printed_record_at_the_offset_of_the_bad_byte(int bufferSize)
    {
        var input = "{\n  \"Records\": [\n    {\n      \"eventName\": \"A\"\n    },\n    {\n      \"eventName\": \"B\",\n      \"x\": tru\n    },\n    {\n      \"eventName\": \"C\"\n    }\n  ]\n}\n";
        var run = Run(input, bufferSize);
        Assert.True(run.Complete);
        var e = Assert.Single(run.Sink.Errors);
        Assert.StartsWith("invalid JSON", e.Reason);
        Assert.Equal(2, e.Record);
        // The error sits on line 8 of the file, inside record 2 which starts on line 6.
        Assert.Equal(8, e.Line);
        // Points at the line break where the 'e' of true should be, counted from the start of the file.
        Assert.Equal(OffsetOf(input, "tru") + 3, e.ByteOffset);
        Assert.Equal(2, run.Sink.Evaluator.Events);
    }

    [Theory]
    [MemberData(nameof(BufferSizes), MemberType = typeof(Split))]
    public void Reports_records_that_are_not_objects_with_their_numbers_and_continues(int bufferSize)
    {
        var input = """{"Records":[{"eventName":"A"}, 42 ,"s{]\"",null,[1,{"x":"]"}],true,-1.5e3,{"eventName":"B"}]}""";
        var run = Run(input, bufferSize);
        Assert.True(run.Complete);
        Assert.Equal(
        [
            (2L, "record is not an object (found a number)"),
            (3L, "record is not an object (found a string)"),
            (4L, "record is not an object (found null)"),
            (5L, "record is not an object (found an array)"),
            (6L, "record is not an object (found a boolean)"),
            (7L, "record is not an object (found a number)"),
        ], run.Sink.Errors.Select(e => (e.Record!.Value, e.Reason)));
        Assert.Equal(OffsetOf(input, "42"), run.Sink.Errors[0].ByteOffset);
        Assert.Equal(OffsetOf(input, "[1,"), run.Sink.Errors[3].ByteOffset);
        Assert.Equal(["""{"eventName":"A"}""", """{"eventName":"B"}"""], run.Sink.Texts);
        Assert.Equal([1L, 8L], run.Sink.Records.Select(r => r.Position.Index));
    }

    [Theory]
    [MemberData(nameof(BufferSizes), MemberType = typeof(Split))]
    public void Reports_a_broken_json_line_with_its_line_number_and_reads_the_next_lines(int bufferSize)
    {
        var input = "{\"eventName\":\"A\"}\n{\"eventName\":\"B\",\n\n{\"eventName\":\"C\"}\nnot json at all\r\n{\"eventName\":\"D\"} trailing\n{\"eventName\":\"E\"}\n";
        var run = Run(input, bufferSize);
        Assert.True(run.Complete);
        var errors = run.Sink.Errors;
        Assert.Equal(3, errors.Count);

        Assert.StartsWith("invalid JSON", errors[0].Reason);
        Assert.Equal((2L, 2L), (errors[0].Record!.Value, errors[0].Line!.Value));

        Assert.StartsWith("not a JSON object or array", errors[1].Reason);
        Assert.Equal((4L, 5L), (errors[1].Record!.Value, errors[1].Line!.Value));
        Assert.Equal(OffsetOf(input, "not json"), errors[1].ByteOffset);

        Assert.Equal((5L, 6L), (errors[2].Record!.Value, errors[2].Line!.Value));
        Assert.Equal(OffsetOf(input, "trailing"), errors[2].ByteOffset);

        // Every line that starts like an object is delivered as a record of its own, broken or not.
        Assert.Equal([(1L, 1L), (2L, 2L), (3L, 4L), (5L, 6L), (6L, 7L)], run.Sink.Records.Select(r => (r.Position.Index, r.Position.Line)));
        Assert.Equal(3, run.Sink.Evaluator.Events);
    }

    [Theory]
    [InlineData("hello world\nthis is not json\n{\"eventName\":\"A\"}\n", "'h'", 1)]
    [InlineData("# README\n\nSome text.\n", "'#'", 1)]
    [InlineData("eventTime,eventName\n2024-01-01,GetObject\n", "'e'", 1)]
    [InlineData("\u0001\u0002\u0003binary", "byte 0x01", 1)]
    [InlineData("\n\nhello\nworld\n", "'h'", 3)]
    public void Reports_an_input_that_is_not_json_once(string input, string startsWith, long line)
    {
        var run = Run(input, 16);
        Assert.False(run.Complete);
        var e = Assert.Single(run.Sink.Errors);
        Assert.Equal($"not JSON (starts with {startsWith}): not a CloudTrail log", e.Reason);
        Assert.Null(e.Record);
        Assert.Equal(line, e.Line);
        Assert.Equal(input.Length - input.TrimStart().Length, e.ByteOffset);
        Assert.Empty(run.Sink.Records);
    }

    [Theory]
    [MemberData(nameof(BufferSizes), MemberType = typeof(Split))]
    public void Reports_text_after_leading_blank_lines_as_not_json_once(int bufferSize)
    {
        var input = "\r\n\n\n    \n\t  plain text\nmore text\n{\"eventName\":\"A\"}\nlast line\n";
        var run = Run(input, bufferSize);
        Assert.False(run.Complete);
        var e = Assert.Single(run.Sink.Errors);
        Assert.Equal("not JSON (starts with 'p'): not a CloudTrail log", e.Reason);
        Assert.Equal(5, e.Line);
        Assert.Equal(OffsetOf(input, "plain"), e.ByteOffset);
        Assert.Empty(run.Sink.Records);
    }

    [Fact]
    public void Reports_a_stray_line_after_records_once_and_keeps_reading()
    {
        // Past the first value the input is JSON: a bad line is one error, not the end of the file.
        var input = "{\"eventName\":\"A\"}\nstray text\n{\"eventName\":\"B\"}\n";
        var run = Run(input, 16);
        Assert.True(run.Complete);
        var e = Assert.Single(run.Sink.Errors);
        Assert.Equal("not a JSON object or array (starts with 's'); skipped to the next line", e.Reason);
        Assert.Equal((2L, 2L), (e.Record!.Value, e.Line!.Value));
        Assert.Equal(["{\"eventName\":\"A\"}", "{\"eventName\":\"B\"}"], run.Sink.Texts);
    }

    [Fact]
    public void Reports_a_zip_archive_as_not_json_once()
    {
        byte[] zip = [(byte)'P', (byte)'K', 3, 4, 20, 0, 0, 0, 8, 0, .. Enumerable.Repeat((byte)'\n', 50), .. "junk\njunk\n"u8];
        var run = Run(zip, 16);
        Assert.False(run.Complete);
        var e = Assert.Single(run.Sink.Errors);
        Assert.Equal("not JSON (starts with 'P'): not a CloudTrail log", e.Reason);
        Assert.Equal(0, e.ByteOffset);
    }

    [Fact]
    public void Reports_text_after_a_byte_order_mark_as_not_json_once()
    {
        var run = Run([0xEF, 0xBB, 0xBF, .. "hello\nworld\n"u8], 16);
        Assert.False(run.Complete);
        var e = Assert.Single(run.Sink.Errors);
        Assert.Equal("not JSON (starts with 'h'): not a CloudTrail log", e.Reason);
        Assert.Equal(3, e.ByteOffset);
    }

    [Theory]
    [MemberData(nameof(BufferSizes), MemberType = typeof(Split))]
    public void Reports_an_unclosed_bare_array_as_truncated_and_keeps_its_records(int bufferSize)
    {
        var input = "[" + Event(1) + ",\n" + Event(2) + "\n";
        var run = Run(input, bufferSize);
        Assert.False(run.Complete);
        var e = Assert.Single(run.Sink.Errors);
        Assert.Equal("the array of records is not closed: unexpected end of input (truncated file?); the 2 records before it were scanned", e.Reason);
        Assert.Null(e.Record);
        Assert.Equal(input.Length, e.ByteOffset);
        Assert.Equal([Event(1), Event(2)], run.Sink.Texts);
    }

    [Theory]
    [MemberData(nameof(BufferSizes), MemberType = typeof(Split))]
    public void Reports_an_unclosed_records_array_as_truncated(int bufferSize)
    {
        var input = "{\"Records\":[" + Event(1) + "," + Event(2) + ",";
        var run = Run(input, bufferSize);
        Assert.False(run.Complete);
        var e = Assert.Single(run.Sink.Errors);
        Assert.StartsWith("the array of records is not closed: unexpected end of input (truncated file?)", e.Reason);
        Assert.Equal([Event(1), Event(2)], run.Sink.Texts);
    }

    [Theory]
    [MemberData(nameof(BufferSizes), MemberType = typeof(Split))]
    public void Reports_a_record_cut_off_at_end_of_input_with_its_number(int bufferSize)
    {
        var input = "{\"Records\":[\n" + Event(1) + ",\n" + Event(2) + ",\n" + Event(3)[..40];
        var run = Run(input, bufferSize);
        Assert.False(run.Complete);
        var e = Assert.Single(run.Sink.Errors);
        Assert.Equal("record 3 is cut off: unexpected end of input (truncated file?); the 2 records before it were scanned", e.Reason);
        Assert.Equal(3, e.Record);
        Assert.Equal(4, e.Line);
        Assert.Equal(input.Length - 40, e.ByteOffset);
        Assert.Equal([Event(1), Event(2)], run.Sink.Texts);
    }

    [Theory]
    [MemberData(nameof(BufferSizes), MemberType = typeof(Split))]
    public void Reports_a_records_wrapper_not_closed_after_its_array(int bufferSize)
    {
        var input = "{\"Records\":[" + Event(1) + "],\"more\":{\"x\":\"}\"";
        var run = Run(input, bufferSize);
        Assert.False(run.Complete);
        var e = Assert.Single(run.Sink.Errors);
        Assert.StartsWith("the object around the records is not closed", e.Reason);
        Assert.Equal([Event(1)], run.Sink.Texts);
    }

    [Theory]
    [MemberData(nameof(BufferSizes), MemberType = typeof(Split))]
    public void Reports_a_missing_comma_between_records_and_stops_splitting(int bufferSize)
    {
        var input = "[{\"eventName\":\"A\"} x {\"eventName\":\"B\"}]";
        var run = Run(input, bufferSize);
        Assert.False(run.Complete);
        var e = Assert.Single(run.Sink.Errors);
        Assert.Equal("invalid JSON: expected ',' or ']' between records, found 'x'; the rest of this input cannot be split into records", e.Reason);
        Assert.Equal(1, e.Record);
        Assert.Equal(OffsetOf(input, "x"), e.ByteOffset);
        Assert.Equal(["{\"eventName\":\"A\"}"], run.Sink.Texts);
    }

    [Theory]
    [MemberData(nameof(BufferSizes), MemberType = typeof(Split))]
    public void Reports_garbage_between_array_elements(int bufferSize)
    {
        var input = "{\"Records\":[{\"eventName\":\"A\"},x{\"eventName\":\"B\"},{\"eventName\":\"C\"}]}";
        var run = Run(input, bufferSize);
        Assert.False(run.Complete);
        Assert.Equal(2, run.Sink.Errors.Count);
        var first = run.Sink.Errors[0];
        Assert.Equal("record is not an object (found 'x')", first.Reason);
        Assert.Equal(2, first.Record);
        Assert.Equal(OffsetOf(input, "x"), first.ByteOffset);
        // The garbage runs into the next object, so the array cannot be split any further.
        Assert.EndsWith("the rest of this input cannot be split into records", run.Sink.Errors[1].Reason);
        Assert.Equal(["{\"eventName\":\"A\"}"], run.Sink.Texts);
    }

    [Fact]
    public void Reports_a_single_object_cut_off_at_end_of_input()
    {
        var input = "{\n  \"eventName\": \"A\",\n  \"x\": {\"y\": \"}\"";
        var run = Run(input, 16);
        Assert.False(run.Complete);
        var e = Assert.Single(run.Sink.Errors);
        Assert.Equal("record 1 is cut off: unexpected end of input (truncated file?); the 0 records before it were scanned", e.Reason);
        Assert.Equal(1, e.Record);
        Assert.Equal(1, e.Line);
        Assert.Equal(0, e.ByteOffset);
        Assert.Empty(run.Sink.Records);
    }

    [Theory]
    [MemberData(nameof(BufferSizes), MemberType = typeof(Split))]
    public void Reports_a_json_lines_file_cut_off_mid_line_as_truncated_and_keeps_the_whole_lines(int bufferSize)
    {
        var input = Event(1) + "\n" + Event(2) + "\n" + Event(3)[..30];
        var run = Run(input, bufferSize);
        Assert.False(run.Complete);
        var e = Assert.Single(run.Sink.Errors);
        Assert.Equal("record 3 is cut off: unexpected end of input (truncated file?); the 2 records before it were scanned", e.Reason);
        Assert.Equal((3L, 3L), (e.Record!.Value, e.Line!.Value));
        Assert.Equal(input.Length - 30, e.ByteOffset);
        Assert.Equal([Event(1), Event(2)], run.Sink.Texts);
        Assert.Equal(2, run.Sink.Evaluator.Events);
    }

    [Fact]
    public void Reads_a_last_json_line_without_line_break_that_is_invalid_but_closed_as_an_invalid_record()
    {
        var input = "{\"eventName\":\"A\"}\n{\"eventName\":\"B\",}";
        var run = Run(input, 16);
        Assert.True(run.Complete);
        var e = Assert.Single(run.Sink.Errors);
        Assert.StartsWith("invalid JSON", e.Reason);
        Assert.Equal(2, e.Record);
        Assert.Equal(2, run.Sink.Records.Count);
    }

    [Fact]
    public void Error_text_names_source_line_record_and_byte()
    {
        var input = "{\"eventName\":\"A\"}\n{\"eventName\":\"B\",}\n";
        var run = Run(input, 16);
        var e = Assert.Single(run.Sink.Errors);
        Assert.StartsWith($"{Collector.Source}:2: record 2 (byte {e.ByteOffset}): invalid JSON", e.ToString());
        Assert.Equal(Encoding.UTF8.GetByteCount("{\"eventName\":\"A\"}\n{\"eventName\":\"B\","), e.ByteOffset);
    }
}
