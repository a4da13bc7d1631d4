using System.IO.Compression;

namespace Moat.Read;

/// <summary>One input to scan: a file, or standard input when <see cref="Path"/> is null.</summary>
public sealed record InputFile(string DisplayName, string? Path, long Length)
{
    public static InputFile StandardInput { get; } = new("<stdin>", null, 0);

    /// <summary>
    /// Opens the input and undoes gzip when the content starts with the gzip magic bytes, whatever the
    /// file is called: CloudTrail exports are renamed freely, and stdin has no name at all.
    /// </summary>
    internal Stream OpenDecoded()
    {
        Stream raw = Path is null
            ? Console.OpenStandardInput()
            : new FileStream(Path, FileMode.Open, FileAccess.Read, FileShare.ReadWrite, 1 << 16, FileOptions.SequentialScan);
        var head = new byte[2];
        int got = 0;
        while (got < 2)
        {
            int n = raw.Read(head, got, 2 - got);
            if (n == 0) break;
            got += n;
        }
        Stream whole = new PrefixedStream(head.AsMemory(0, got), raw);
        if (got == 2 && head[0] == 0x1f && head[1] == 0x8b)
            return new GZipStream(whole, CompressionMode.Decompress, leaveOpen: false);
        return whole;
    }
}

/// <summary>A read-only stream that replays a few already-read bytes before the rest of another stream.</summary>
internal sealed class PrefixedStream(ReadOnlyMemory<byte> prefix, Stream rest) : Stream
{
    private ReadOnlyMemory<byte> _prefix = prefix;

    public override int Read(byte[] buffer, int offset, int count) => Read(buffer.AsSpan(offset, count));

    public override int Read(Span<byte> buffer)
    {
        if (!_prefix.IsEmpty)
        {
            int n = Math.Min(buffer.Length, _prefix.Length);
            _prefix.Span[..n].CopyTo(buffer);
            _prefix = _prefix[n..];
            return n;
        }
        return rest.Read(buffer);
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

    protected override void Dispose(bool disposing)
    {
        if (disposing) rest.Dispose();
        base.Dispose(disposing);
    }
}
