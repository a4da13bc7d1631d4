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
    internal Stream OpenDecoded() => OpenDecoded(out _);

    /// <summary>As <see cref="OpenDecoded()"/>; for gzip input also returns the watcher of the compressed bytes.</summary>
    internal Stream OpenDecoded(out GzipTail? tail)
    {
        tail = null;
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
        {
            tail = new GzipTail(whole);
            return new GZipStream(tail, CompressionMode.Decompress, leaveOpen: false);
        }
        return whole;
    }
}

/// <summary>A read-only stream that replays a few already-read bytes before the rest of another stream.</summary>
internal sealed class PrefixedStream(ReadOnlyMemory<byte> prefix, Stream rest) : ReadOnlyWrapperStream(rest)
{
    private ReadOnlyMemory<byte> _prefix = prefix;

    public override int Read(Span<byte> buffer)
    {
        if (!_prefix.IsEmpty)
        {
            int n = Math.Min(buffer.Length, _prefix.Length);
            _prefix.Span[..n].CopyTo(buffer);
            _prefix = _prefix[n..];
            return n;
        }
        return Inner.Read(buffer);
    }

}

/// <summary>
/// Watches the compressed bytes of a gzip input on their way to <see cref="GZipStream"/>, which ends silently
/// when a file is cut off (a truncated S3 download, a partial copy). A gzip member ends with the size of its
/// data modulo 2^32; comparing it with what was decoded tells a complete file from a cut one.
/// </summary>
internal sealed class GzipTail(Stream inner) : ReadOnlyWrapperStream(inner)
{
    private readonly byte[] _last = new byte[8];
    private long _total;
    private int _headers; // gzip member headers (1f 8b 08) seen after the first byte
    private int _carry;   // how many of 1f 8b ended the previous read

    public override int Read(Span<byte> buffer)
    {
        int n = Inner.Read(buffer);
        var data = buffer[..n];
        Watch(data);
        return n;
    }

    private void Watch(ReadOnlySpan<byte> data)
    {
        if (data.IsEmpty) return;
        // Several members in one file (rare: `cat a.gz b.gz`) carry several trailers; count their headers so
        // the size check is only made when there is exactly one.
        // A header split across reads starts 1 or 2 bytes before this chunk; the file's own first header is not counted.
        if (_carry == 1 && data.Length >= 2 && data[0] == 0x8b && data[1] == 0x08 && _total - 1 > 0) _headers++;
        if (_carry == 2 && data[0] == 0x08 && _total - 2 > 0) _headers++;
        var rest = data;
        int at = 0;
        while (true)
        {
            int i = rest.IndexOf((ReadOnlySpan<byte>)[0x1f, 0x8b, 0x08]);
            if (i < 0) break;
            if (_total + at + i > 0) _headers++;
            at += i + 3;
            rest = rest[(i + 3)..];
        }
        _carry = data.EndsWith((ReadOnlySpan<byte>)[0x1f, 0x8b]) ? 2 : data[^1] == 0x1f ? 1 : 0;
        // Keep the last 8 bytes seen.
        if (data.Length >= 8) data[^8..].CopyTo(_last);
        else
        {
            Array.Copy(_last, data.Length, _last, 0, 8 - data.Length);
            data.CopyTo(_last.AsSpan(8 - data.Length));
        }
        _total += data.Length;
    }

    /// <summary>
    /// Null when the decoded size matches the trailer of a single-member file (or the check cannot be made);
    /// otherwise why the input looks cut off.
    /// </summary>
    public string? Problem(long decodedBytes)
    {
        if (_headers > 0 || _total < 18) return null;
        uint isize = System.Buffers.Binary.BinaryPrimitives.ReadUInt32LittleEndian(_last.AsSpan(4));
        if (isize == (uint)decodedBytes) return null;
        return $"gzip data ends early: the file is truncated (decoded {decodedBytes} bytes; the gzip trailer is missing or damaged)";
    }

}
