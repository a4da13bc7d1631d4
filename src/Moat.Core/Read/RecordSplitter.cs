using System.Buffers;

namespace Moat.Read;

/// <summary>Receives the records a <see cref="RecordSplitter"/> finds, and the problems it meets.</summary>
internal interface IRecordSink
{
    /// <summary>The memory is only valid during the call: the splitter reuses its buffer.</summary>
    void OnRecord(ReadOnlyMemory<byte> record, RecordPosition position);

    void OnError(ReadError error);
}

/// <summary>
/// Streams one decoded input and cuts it into records without building a document of the whole file.
/// It understands every layout CloudTrail is found in:
/// <list type="bullet">
/// <item>S3 delivery files <c>{"Records":[ {...}, ... ]}</c> (also several of them concatenated),</item>
/// <item>a bare JSON array of events (Stratus Red Team, <c>aws cloudtrail lookup-events</c> after jq),</item>
/// <item>JSON Lines / concatenated objects (CloudTrail Lake and CloudWatch Logs exports, EventBridge envelopes).</item>
/// </list>
/// Record boundaries are found by a string-aware bracket scan, which is much cheaper than tokenising;
/// each record is then validated on its own by the evaluator, so one broken record costs only itself.
/// </summary>
internal sealed class RecordSplitter
{
    /// <summary>One record larger than this is treated as a broken input instead of being buffered further.</summary>
    internal const int MaxRecordBytes = 64 << 20;

    private static readonly SearchValues<byte> Structural = SearchValues.Create("{}[]\""u8);
    private static readonly SearchValues<byte> StringStop = SearchValues.Create("\"\\"u8);
    private static readonly SearchValues<byte> ScalarStop = SearchValues.Create(",]} \t\r\n"u8);

    private readonly Stream _stream;
    private readonly string _source;
    private readonly IRecordSink _sink;
    private byte[] _buf;
    private int _pos;        // next byte to look at
    private int _end;        // end of valid data
    private int _mark;       // earliest byte still needed (start of the value being scanned)
    private int _counted;    // newlines are counted up to here
    private long _line = 1;  // line number at _counted
    private long _base;      // stream offset of _buf[0]
    private bool _eof;
    private string? _readFailure;
    private long _records;
    private bool _jsonLines;

    internal RecordSplitter(Stream stream, string source, IRecordSink sink, int bufferSize = 1 << 20)
    {
        _stream = stream;
        _source = source;
        _sink = sink;
        _buf = ArrayPool<byte>.Shared.Rent(bufferSize);
    }

    /// <summary>Bytes of decoded input consumed so far (for progress).</summary>
    internal long BytesRead => _base + _end;

    internal long Records => _records;

    /// <summary>Reads the whole input. Returns false when the input broke off or could not be parsed to its end.</summary>
    internal bool Run()
    {
        try
        {
            return RunCore();
        }
        finally
        {
            ArrayPool<byte>.Shared.Return(_buf);
            _buf = [];
        }
    }

    private bool RunCore()
    {
        // A UTF-8 byte order mark is legal at the start of a JSON text written by Windows tools.
        // Ensure the third byte, not just the first: a pipe may hand over the input a byte or two at a time.
        int p = 2;
        if (Ensure(ref p) && _buf[0] == 0xEF && _buf[1] == 0xBB && _buf[2] == 0xBF) { _pos = 3; _counted = 3; }
        for (bool first = true; ; first = false)
        {
            if (!SkipWhitespace()) return Finish(true);
            byte c = _buf[_pos];
            if (c == (byte)'[')
            {
                _pos++;
                if (!ReadArrayElements()) return Finish(false);
            }
            else if (c == (byte)'{')
            {
                if (IsRecordsWrapper())
                {
                    if (!ReadArrayElements()) return Finish(false);
                    if (!SkipToEndOfObject()) return Finish(false);
                }
                else if (_jsonLines)
                {
                    if (!ReadLineRecord()) return Finish(false);
                }
                else if (!ReadTopLevelObject())
                {
                    return Finish(false);
                }
            }
            else if (SkipTimestampPrefix())
            {
                // "2024-01-17T00:00:01.000Z {...}": a CloudWatch Logs export to S3. The object follows.
                _jsonLines = true;
            }
            else if (first)
            {
                // Not JSON from the very first byte (after any BOM and blank lines): one message for the file, not one per line.
                _sink.OnError(new ReadError(_source, $"not JSON (starts with {Describe(c)}): not a CloudTrail log", ByteOffset: _base + _pos, Line: LineAt(_pos)));
                return false;
            }
            else
            {
                long line = LineAt(_pos);
                _records++;
                _sink.OnError(new ReadError(_source, $"not a JSON object or array (starts with {Describe(c)}); skipped to the next line",
                    _records, _base + _pos, line));
                SkipLine();
            }
        }
    }

    private bool Finish(bool completed)
    {
        if (_readFailure is not null)
        {
            _sink.OnError(new ReadError(_source, $"input broke off after {_records} records: {_readFailure}", ByteOffset: _base + _end));
            return false;
        }
        return completed;
    }

    /// <summary>Elements of an array whose '[' was just consumed; each object element is one record.</summary>
    private bool ReadArrayElements()
    {
        bool expectComma = false;
        while (true)
        {
            if (!SkipWhitespace())
            {
                ReportTruncated("the array of records is not closed");
                return false;
            }
            byte c = _buf[_pos];
            if (c == (byte)']')
            {
                _pos++;
                return true;
            }
            if (expectComma)
            {
                if (c == (byte)',')
                {
                    _pos++;
                    expectComma = false;
                    continue;
                }
                _sink.OnError(new ReadError(_source, $"invalid JSON: expected ',' or ']' between records, found {Describe(c)}; the rest of this input cannot be split into records",
                    _records, _base + _pos, LineAt(_pos)));
                return false;
            }
            _mark = _pos;
            long line = LineAt(_pos);
            long number = ++_records;
            int end;
            if (c == (byte)'{' || c == (byte)'[')
            {
                if (!FindCompositeEnd(out end))
                {
                    ReportTruncated($"record {number} is cut off", number, line);
                    return false;
                }
                if (c == (byte)'{')
                    _sink.OnRecord(_buf.AsMemory(_mark, end - _mark), new RecordPosition(number, _base + _mark, line));
                else
                    _sink.OnError(new ReadError(_source, "record is not an object (found an array)", number, _base + _mark, line));
            }
            else
            {
                if (!FindScalarEnd(out end))
                {
                    ReportTruncated($"record {number} is cut off", number, line);
                    return false;
                }
                _sink.OnError(new ReadError(_source, $"record is not an object (found {Describe(c)})", number, _base + _mark, line));
            }
            _pos = end;
            _mark = _pos;
            expectComma = true;
        }
    }

    /// <summary>A top-level object that is itself a record (one event, or an EventBridge envelope).</summary>
    private bool ReadTopLevelObject()
    {
        _mark = _pos;
        long line = LineAt(_pos);
        long number = ++_records;
        if (!FindCompositeEnd(out int end))
        {
            ReportTruncated($"record {number} is cut off", number, line);
            return false;
        }
        bool singleLine = _buf.AsSpan(_mark, end - _mark).IndexOf((byte)'\n') < 0;
        _sink.OnRecord(_buf.AsMemory(_mark, end - _mark), new RecordPosition(number, _base + _mark, line));
        _pos = end;
        _mark = _pos;
        // One object on one line followed by a line break: this is JSON Lines. From here on each line is
        // a record by itself, so a broken line costs that line only instead of swallowing the next ones.
        if (singleLine && _records == 1)
        {
            int i = _pos;
            while (Ensure(ref i) && (_buf[i] == (byte)' ' || _buf[i] == (byte)'\t' || _buf[i] == (byte)'\r')) i++;
            if (i < _end && _buf[i] == (byte)'\n') _jsonLines = true;
        }
        return true;
    }

    /// <summary>One line of JSON Lines as a record. Returns false when the last line is an object cut off by the end of input.</summary>
    private bool ReadLineRecord()
    {
        _mark = _pos;
        long line = LineAt(_pos);
        long number = ++_records;
        int i = _pos;
        while (true)
        {
            if (!Ensure(ref i)) break;
            int k = _buf.AsSpan(i, _end - i).IndexOf((byte)'\n');
            if (k >= 0) { i += k; break; }
            i = _end;
            if (i - _mark > MaxRecordBytes) break;
        }
        // A last line whose braces never close is where the input broke off (GZipStream ends a truncated
        // member silently), not a record that happens to be invalid: report it like the other layouts do.
        if (_eof && i >= _end && !FindCompositeEnd(out _))
        {
            ReportTruncated($"record {number} is cut off", number, line);
            return false;
        }
        int end = i;
        while (end > _mark && (_buf[end - 1] == (byte)'\r' || _buf[end - 1] == (byte)' ' || _buf[end - 1] == (byte)'\t')) end--;
        _sink.OnRecord(_buf.AsMemory(_mark, end - _mark), new RecordPosition(number, _base + _mark, line));
        _pos = i;
        _mark = _pos;
        return true;
    }

    /// <summary>
    /// A line of a CloudWatch Logs export to S3 starts with an ISO-8601 timestamp and a space before the
    /// event. When _pos is at such a prefix followed by '{', skips to the '{'.
    /// </summary>
    private bool SkipTimestampPrefix()
    {
        int i = _pos;
        // yyyy-mm-ddT at least; then anything but a space, up to 40 bytes; then one space and '{'.
        for (int k = 0; k < 11; k++, i++)
        {
            if (!Ensure(ref i)) return false;
            byte b = _buf[i];
            bool ok = k switch { 4 or 7 => b == (byte)'-', 10 => b == (byte)'T', _ => b >= (byte)'0' && b <= (byte)'9' };
            if (!ok) return false;
        }
        for (int k = 0; k < 40; k++, i++)
        {
            if (!Ensure(ref i)) return false;
            if (_buf[i] == (byte)' ')
            {
                i++;
                if (!Ensure(ref i) || _buf[i] != (byte)'{') return false;
                LineAt(_pos);
                _pos = i;
                _mark = _pos;
                return true;
            }
        }
        return false;
    }

    /// <summary>
    /// Peeks at an object that starts at _pos: is its first member "Records" holding an array?
    /// If so, consumes up to and including the '[' and returns true.
    /// </summary>
    private bool IsRecordsWrapper()
    {
        _mark = _pos;
        int i = _pos + 1;
        if (!SkipWs(ref i) || _buf[i] != (byte)'"') return false;
        ReadOnlySpan<byte> key = "\"Records\""u8;
        for (int k = 0; k < key.Length; k++, i++)
        {
            if (!Ensure(ref i) || _buf[i] != key[k]) return false;
        }
        if (!SkipWs(ref i) || _buf[i] != (byte)':') return false;
        i++;
        if (!SkipWs(ref i) || _buf[i] != (byte)'[') return false;
        LineAt(i);
        _pos = i + 1;
        _mark = _pos;
        return true;
    }

    /// <summary>After the Records array: skip any other members up to the wrapper's closing brace.</summary>
    private bool SkipToEndOfObject()
    {
        _mark = _pos;
        if (!FindCompositeEnd(out int end, startDepth: 1))
        {
            ReportTruncated("the object around the records is not closed");
            return false;
        }
        _pos = end;
        _mark = _pos;
        return true;
    }

    /// <summary>Finds the end (exclusive) of the object or array at _pos, or the enclosing one when startDepth is 1.</summary>
    private bool FindCompositeEnd(out int end, int startDepth = 0)
    {
        int depth = startDepth;
        bool inString = false;
        int i = _pos;
        while (true)
        {
            if (!Ensure(ref i))
            {
                end = -1;
                return false;
            }
            if (i - _mark > MaxRecordBytes)
            {
                _readFailure ??= $"a record is larger than {MaxRecordBytes >> 20} MB";
                end = -1;
                return false;
            }
            var span = _buf.AsSpan(i, _end - i);
            if (inString)
            {
                int k = span.IndexOfAny(StringStop);
                if (k < 0) { i = _end; continue; }
                i += k;
                if (_buf[i] == (byte)'\\') { i += 2; continue; }
                inString = false;
                i++;
                continue;
            }
            int s = span.IndexOfAny(Structural);
            if (s < 0) { i = _end; continue; }
            i += s;
            switch (_buf[i])
            {
                case (byte)'"':
                    inString = true;
                    break;
                case (byte)'{':
                case (byte)'[':
                    depth++;
                    break;
                default:
                    if (--depth == 0)
                    {
                        end = i + 1;
                        return true;
                    }
                    break;
            }
            i++;
        }
    }

    private bool FindScalarEnd(out int end)
    {
        int i = _pos;
        if (_buf[i] == (byte)'"')
        {
            i++;
            while (true)
            {
                if (!Ensure(ref i)) { end = -1; return false; }
                int k = _buf.AsSpan(i, _end - i).IndexOfAny(StringStop);
                if (k < 0) { i = _end; continue; }
                i += k;
                if (_buf[i] == (byte)'\\') { i += 2; continue; }
                end = i + 1;
                return true;
            }
        }
        while (true)
        {
            if (!Ensure(ref i)) { end = i; return true; }
            int k = _buf.AsSpan(i, _end - i).IndexOfAny(ScalarStop);
            if (k < 0) { i = _end; continue; }
            end = i + k;
            return true;
        }
    }

    private void SkipLine()
    {
        int i = _pos;
        while (Ensure(ref i))
        {
            int k = _buf.AsSpan(i, _end - i).IndexOf((byte)'\n');
            if (k >= 0) { i += k + 1; break; }
            i = _end;
            _mark = i;
        }
        _pos = Math.Min(i, _end);
        _mark = _pos;
    }

    private bool SkipWhitespace()
    {
        _mark = _pos;
        int i = _pos;
        bool ok = SkipWs(ref i);
        _pos = i;
        _mark = _pos;
        return ok;
    }

    private bool SkipWs(ref int i)
    {
        while (Ensure(ref i))
        {
            byte b = _buf[i];
            if (b != (byte)' ' && b != (byte)'\n' && b != (byte)'\r' && b != (byte)'\t') return true;
            i++;
        }
        return false;
    }

    private void ReportTruncated(string what, long? record = null, long? line = null)
    {
        string why = _readFailure is null ? "unexpected end of input" : _readFailure;
        _sink.OnError(new ReadError(_source, $"{what}: {why} (truncated file?); the {_records - (record is null ? 0 : 1)} records before it were scanned",
            record, _base + _mark, line));
        _readFailure = null;
    }

    /// <summary>Counts line breaks up to <paramref name="index"/>; called with increasing indices only.</summary>
    private long LineAt(int index)
    {
        if (index > _counted)
        {
            _line += _buf.AsSpan(_counted, index - _counted).Count((byte)'\n');
            _counted = index;
        }
        return _line;
    }

    /// <summary>Makes sure byte <paramref name="i"/> is in the buffer; adjusts it when the buffer is compacted.</summary>
    private bool Ensure(ref int i)
    {
        while (i >= _end)
        {
            if (_eof) return false;
            int shift = Fill();
            i -= shift;
        }
        return true;
    }

    /// <summary>Reads more input, first dropping the bytes before _mark (or growing the buffer). Returns the shift applied.</summary>
    private int Fill()
    {
        int shift = 0;
        if (_mark > 0 && (_end == _buf.Length || _mark > _buf.Length / 2))
        {
            LineAt(_mark);
            shift = _mark;
            Buffer.BlockCopy(_buf, _mark, _buf, 0, _end - _mark);
            _end -= shift;
            _pos -= shift;
            _counted -= shift;
            _mark = 0;
            _base += shift;
        }
        if (_end == _buf.Length)
        {
            var bigger = ArrayPool<byte>.Shared.Rent(_buf.Length * 2);
            Buffer.BlockCopy(_buf, 0, bigger, 0, _end);
            ArrayPool<byte>.Shared.Return(_buf);
            _buf = bigger;
        }
        try
        {
            int n = _stream.Read(_buf, _end, _buf.Length - _end);
            if (n == 0) _eof = true;
            _end += n;
        }
        catch (Exception e) when (e is InvalidDataException or IOException)
        {
            // A truncated or corrupt gzip member: keep what was decoded, report where it broke.
            _readFailure = e.Message;
            _eof = true;
        }
        return shift;
    }

    private static string Describe(byte c) => c switch
    {
        (byte)'"' => "a string",
        (byte)'t' or (byte)'f' => "a boolean",
        (byte)'n' => "null",
        (byte)'-' or (>= (byte)'0' and <= (byte)'9') => "a number",
        (byte)'[' => "an array",
        >= 0x20 and < 0x7f => $"'{(char)c}'",
        _ => $"byte 0x{c:x2}",
    };
}
