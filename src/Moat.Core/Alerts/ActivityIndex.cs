using System.Buffers;
using System.Globalization;
using System.IO.Compression;
using System.Text;

namespace Moat.Alerts;

/// <summary>
/// The activity index a scan with <c>--state</c> keeps: one tab-separated line per CloudTrail event (time,
/// account, principal ARN, access key, event source, event name, error code, source IP, record number in its input),
/// gzip-compressed per input and stored beside the input's matches. It answers the runbooks' first question —
/// what else did this identity do? — without keeping the events themselves.
/// </summary>
internal sealed class ActivityWriter
{
    // Pooled: one buffer per input would otherwise be a large-object allocation per file of a scan.
    private byte[] _data = ArrayPool<byte>.Shared.Rent(256 << 10);
    private int _length;

    private byte[]? _first;
    private byte[]? _last;
    private int _lastLength;

    public long Events { get; private set; }
    public string? FirstTime => _first is null ? null : Encoding.UTF8.GetString(_first);
    public string? LastTime => _last is null ? null : Encoding.UTF8.GetString(_last.AsSpan(0, _lastLength));

    /// <summary>Appends one event. The fields are raw JSON string contents: they hold no tab or line break.</summary>
    public void Add(ReadOnlySpan<byte> time, ReadOnlySpan<byte> account, ReadOnlySpan<byte> principal, ReadOnlySpan<byte> accessKey,
        ReadOnlySpan<byte> source, ReadOnlySpan<byte> name, ReadOnlySpan<byte> error, ReadOnlySpan<byte> ip, long record)
    {
        Events++;
        if (!time.IsEmpty)
        {
            // ISO 8601 times order as bytes; kept in small reused buffers, not a string per event.
            if (_first is null || time.SequenceCompareTo(_first) < 0) _first = time.ToArray();
            if (_last is null || time.SequenceCompareTo(_last.AsSpan(0, _lastLength)) > 0)
            {
                if (_last is null || _last.Length < time.Length) _last = new byte[Math.Max(32, time.Length)];
                time.CopyTo(_last);
                _lastLength = time.Length;
            }
        }
        // One reservation per line: this runs for every event of a scan that keeps state.
        int total = time.Length + account.Length + principal.Length + accessKey.Length + source.Length + name.Length + error.Length + ip.Length + 8 + 21;
        if (_data.Length - _length < total)
        {
            var bigger = ArrayPool<byte>.Shared.Rent(Math.Max(_data.Length * 2, _length + total));
            _data.AsSpan(0, _length).CopyTo(bigger);
            ArrayPool<byte>.Shared.Return(_data);
            _data = bigger;
        }
        var span = _data.AsSpan(_length);
        int at = 0;
        Put(span, ref at, time); span[at++] = (byte)'\t';
        Put(span, ref at, account); span[at++] = (byte)'\t';
        Put(span, ref at, principal); span[at++] = (byte)'\t';
        Put(span, ref at, accessKey); span[at++] = (byte)'\t';
        Put(span, ref at, source); span[at++] = (byte)'\t';
        Put(span, ref at, name); span[at++] = (byte)'\t';
        Put(span, ref at, error); span[at++] = (byte)'\t';
        Put(span, ref at, ip); span[at++] = (byte)'\t';
        record.TryFormat(span[at..], out int n, default, CultureInfo.InvariantCulture);
        at += n;
        span[at++] = (byte)'\n';
        _length += at;
    }

    private static void Put(Span<byte> span, ref int at, ReadOnlySpan<byte> value)
    {
        value.CopyTo(span[at..]);
        at += value.Length;
    }

    /// <summary>
    /// The lines, gzip-compressed at the fastest level on the scan's worker threads: a third of the size, and
    /// (measured) no slower overall than writing them plain, since SQLite then writes three times the bytes.
    /// </summary>
    public byte[] Compress()
    {
        using var ms = new MemoryStream(_length / 6 + 64);
        using (var gz = new GZipStream(ms, CompressionLevel.Fastest, leaveOpen: true)) gz.Write(_data.AsSpan(0, _length));
        ArrayPool<byte>.Shared.Return(_data);
        _data = [];
        _length = 0;
        return ms.ToArray();
    }
}

public sealed record ActivityEntry(DateTimeOffset Time, string Account, string Principal, string AccessKey, string Source, string Name, string Error, string SourceIp, string File, long Record);

/// <summary>A block of activity lines as stored: one per scanned input.</summary>
public sealed record ActivityBlock(string Input, long Events, string? FirstTime, string? LastTime, byte[] Data);

public sealed record ActivityGroup(string Source, string Name, long Count, long Failures, DateTimeOffset First, DateTimeOffset Last, IReadOnlyList<string> Errors, IReadOnlyList<string> SourceIps);

public static class ActivityQuery
{
    /// <summary>Events of one principal (ARN) or access key within <paramref name="window"/> of <paramref name="around"/>.</summary>
    public static List<ActivityEntry> Find(IEnumerable<ActivityBlock> blocks, string? principal, string? accessKey, DateTimeOffset around, TimeSpan window)
    {
        var from = around - window;
        var to = around + window;
        var result = new List<ActivityEntry>();
        foreach (var b in blocks)
        {
            Stream data = new MemoryStream(b.Data);
            if (b.Data.Length >= 2 && b.Data[0] == 0x1f && b.Data[1] == 0x8b) data = new GZipStream(data, CompressionMode.Decompress);
            using var reader = new StreamReader(data, Encoding.UTF8);
            string? line;
            while ((line = reader.ReadLine()) is not null)
            {
                var f = line.Split('\t');
                if (f.Length < 9) continue;
                if (principal is not null && f[2] != principal) continue;
                if (accessKey is not null && f[3] != accessKey) continue;
                if (!DateTimeOffset.TryParse(f[0], CultureInfo.InvariantCulture, DateTimeStyles.AssumeUniversal | DateTimeStyles.AdjustToUniversal, out var t)) continue;
                if (t < from || t > to) continue;
                result.Add(new ActivityEntry(t, f[1], f[2], f[3], f[4], f[5], f[6], f[7], b.Input, long.TryParse(f[8], out var r) ? r : 0));
            }
        }
        result.Sort((a, b) => a.Time.CompareTo(b.Time));
        return result;
    }

    /// <summary>Grouped by API call, with counts and failures: the shape a runbook reads.</summary>
    public static List<ActivityGroup> Group(IEnumerable<ActivityEntry> entries) =>
        entries.GroupBy(e => (e.Source, e.Name))
            .Select(g => new ActivityGroup(g.Key.Source, g.Key.Name, g.Count(), g.Count(e => e.Error.Length > 0), g.Min(e => e.Time), g.Max(e => e.Time),
                g.Where(e => e.Error.Length > 0).Select(e => e.Error).Distinct().ToList(), g.Select(e => e.SourceIp).Distinct().Take(5).ToList()))
            .OrderByDescending(g => g.Count).ThenBy(g => g.Source, StringComparer.Ordinal).ThenBy(g => g.Name, StringComparer.Ordinal).ToList();
}
