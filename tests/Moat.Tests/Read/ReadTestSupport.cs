using System.IO.Compression;
using System.Text;
using Moat.Evaluate;
using Moat.Read;

namespace Moat.Tests.Read;

/// <summary>A unique folder under the system temp folder, deleted with everything in it on dispose.</summary>
internal sealed class TempDir : IDisposable
{
    public string Path { get; } = Directory.CreateDirectory(
        System.IO.Path.Combine(System.IO.Path.GetTempPath(), "moat-tests-" + Guid.NewGuid().ToString("N"))).FullName;

    public string File(string relative) => System.IO.Path.Combine(Path, relative);

    public string Write(string relative, string text) => Write(relative, Encoding.UTF8.GetBytes(text));

    public string Write(string relative, byte[] bytes)
    {
        var full = File(relative);
        Directory.CreateDirectory(System.IO.Path.GetDirectoryName(full)!);
        System.IO.File.WriteAllBytes(full, bytes);
        return full;
    }

    public string Folder(string relative) => Directory.CreateDirectory(File(relative)).FullName;

    public InputFile Input(string relative, byte[] bytes)
    {
        var full = Write(relative, bytes);
        return new InputFile(full, full, bytes.Length);
    }

    public void Dispose()
    {
        try { Directory.Delete(Path, recursive: true); }
        catch (IOException) { }
        catch (UnauthorizedAccessException) { }
    }
}

/// <summary>
/// Collects what a <see cref="RecordSplitter"/> delivers (copied, since the splitter reuses its buffer) and
/// passes it on to a real <see cref="RecordEvaluator"/> without rules, so each record is also validated.
/// Splitter errors and evaluator errors end up in one list, in the order they happened.
/// </summary>
internal sealed class Collector : IRecordSink
{
    public const string Source = "input.json";

    public RecordEvaluator Evaluator { get; } = new(new RuleIndex([]), Source);

    public List<(string Text, RecordPosition Position)> Records { get; } = [];

    public List<ReadError> Errors => Evaluator.Errors;

    public IEnumerable<string> Texts => Records.Select(r => r.Text);

    public void OnRecord(ReadOnlyMemory<byte> record, RecordPosition position)
    {
        Records.Add((Encoding.UTF8.GetString(record.Span), position));
        Evaluator.OnRecord(record, position);
    }

    public void OnError(ReadError error) => Evaluator.OnError(error);
}

/// <summary>A read-only stream that returns at most <c>chunk</c> bytes per read, like a pipe or a socket may.</summary>
internal sealed class TrickleStream(byte[] data, int chunk) : Stream
{
    private int _pos;

    public override int Read(byte[] buffer, int offset, int count) => Read(buffer.AsSpan(offset, count));

    public override int Read(Span<byte> buffer)
    {
        int n = Math.Min(Math.Min(chunk, buffer.Length), data.Length - _pos);
        data.AsSpan(_pos, n).CopyTo(buffer);
        _pos += n;
        return n;
    }

    public override bool CanRead => true;
    public override bool CanSeek => false;
    public override bool CanWrite => false;
    public override long Length => throw new NotSupportedException();
    public override long Position { get => throw new NotSupportedException(); set => throw new NotSupportedException(); }
    public override void Flush() { }
    public override long Seek(long offset, SeekOrigin origin) => throw new NotSupportedException();
    public override void SetLength(long value) => throw new NotSupportedException();
    public override void Write(byte[] buffer, int offset, int count) => throw new NotSupportedException();
}

internal static class Split
{
    /// <summary>Buffer sizes the layout tests run with: tiny ones force refills, compaction and growth inside records.</summary>
    public const int Default = 0;

    public static TheoryData<int> BufferSizes() => new() { 16, 64, Default };

    public static (Collector Sink, bool Complete) Run(string text, int bufferSize = Default) => Run(Encoding.UTF8.GetBytes(text), bufferSize);

    public static (Collector Sink, bool Complete) Run(byte[] bytes, int bufferSize = Default) => Run(new MemoryStream(bytes), bufferSize);

    public static (Collector Sink, bool Complete) Run(Stream stream, int bufferSize = Default)
    {
        var sink = new Collector();
        var splitter = bufferSize == Default
            ? new RecordSplitter(stream, Collector.Source, sink)
            : new RecordSplitter(stream, Collector.Source, sink, bufferSize);
        bool complete = splitter.Run();
        return (sink, complete);
    }

    /// <summary>Reads a file the way the scanner does: gzip is undone by content, not by name.</summary>
    public static (Collector Sink, bool Complete) RunFile(InputFile input, int bufferSize = Default)
    {
        using var stream = input.OpenDecoded();
        return Run(stream, bufferSize);
    }

    public static byte[] Gzip(string text) => Gzip(Encoding.UTF8.GetBytes(text));

    public static byte[] Gzip(byte[] bytes)
    {
        var output = new MemoryStream();
        using (var gz = new GZipStream(output, CompressionLevel.Optimal, leaveOpen: true)) gz.Write(bytes);
        return output.ToArray();
    }

    /// <summary>A small CloudTrail-shaped event whose strings hold the characters a bracket scanner could trip on.</summary>
    public static string Event(int n) =>
        $$"""{"eventVersion":"1.08","eventSource":"s3.amazonaws.com","eventName":"GetObject{{n}}","requestParameters":{"key":"a}b]c{d[e","note":"say \"}\" then \\","path":"C:\\x\\"},"resources":[{"ARN":"arn:aws:s3:::b/{{n}}"}]}""";

    /// <summary>Byte offset of <paramref name="needle"/> in an ASCII input, asserting it is there.</summary>
    public static long OffsetOf(string input, string needle, int startIndex = 0)
    {
        int i = input.IndexOf(needle, startIndex, StringComparison.Ordinal);
        Assert.True(i >= 0, $"'{needle}' not in the input");
        return i;
    }
}
