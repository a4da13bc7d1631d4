using System.Text;

namespace Moat.Logins;

/// <summary>
/// Cuts a decoded stream into lines and hands each out as characters from one reused buffer: a string per line
/// would be most of the allocation of a million-line log. Lines end at LF; a CR before it is dropped, and so is a
/// UTF-8 byte order mark at the start. Invalid UTF-8 becomes U+FFFD rather than an error.
/// </summary>
internal sealed class LineReader
{
    /// <summary>A line longer than this is reported and skipped instead of being buffered further.</summary>
    internal const int MaxLineBytes = 64 << 20;

    private readonly Stream _stream;
    private byte[] _buf;
    private char[] _chars = new char[1024];
    private int _start, _end;
    private bool _eof, _skipping, _first = true;

    internal LineReader(Stream stream, int bufferSize = 1 << 16)
    {
        _stream = stream;
        _buf = new byte[bufferSize];
    }

    /// <summary>Number of the line last returned (1-based).</summary>
    internal long Line { get; private set; }

    /// <summary>Decoded bytes taken from the stream so far.</summary>
    internal long BytesRead { get; private set; }

    /// <summary>
    /// The next line, or false at the end. <paramref name="tooLong"/> marks a line over <see cref="MaxLineBytes"/>:
    /// only its start is returned, and the rest is skipped.
    /// </summary>
    internal bool TryRead(out ReadOnlySpan<char> line, out bool tooLong)
    {
        tooLong = false;
        while (true)
        {
            var data = _buf.AsSpan(_start, _end - _start);
            int nl = data.IndexOf((byte)'\n');
            if (_skipping)
            {
                if (nl >= 0)
                {
                    _start += nl + 1;
                    _skipping = false;
                    continue;
                }
                _start = _end;
            }
            else if (nl >= 0)
            {
                _start += nl + 1;
                line = Decode(data[..nl]);
                return true;
            }
            else if (_eof)
            {
                if (data.IsEmpty)
                {
                    line = default;
                    return false;
                }
                _start = _end;
                line = Decode(data);
                return true;
            }
            else if (data.Length >= MaxLineBytes)
            {
                _skipping = true;
                _start = _end;
                tooLong = true;
                line = Decode(data[..200]);
                return true;
            }
            Fill();
        }
    }

    private void Fill()
    {
        if (_eof) return;
        if (_start > 0)
        {
            _buf.AsSpan(_start, _end - _start).CopyTo(_buf);
            _end -= _start;
            _start = 0;
        }
        if (_end == _buf.Length) Array.Resize(ref _buf, Math.Min(_buf.Length * 2, MaxLineBytes + (1 << 16)));
        int n = _stream.Read(_buf, _end, _buf.Length - _end);
        if (n == 0) _eof = true;
        _end += n;
        BytesRead += n;
    }

    private ReadOnlySpan<char> Decode(ReadOnlySpan<byte> bytes)
    {
        Line++;
        if (_first)
        {
            _first = false;
            if (bytes.StartsWith((ReadOnlySpan<byte>)[0xEF, 0xBB, 0xBF])) bytes = bytes[3..];
        }
        if (!bytes.IsEmpty && bytes[^1] == (byte)'\r') bytes = bytes[..^1];
        if (_chars.Length < bytes.Length) _chars = new char[Math.Max(bytes.Length, _chars.Length * 2)];
        int n = Encoding.UTF8.GetChars(bytes, _chars);
        return _chars.AsSpan(0, n);
    }
}
