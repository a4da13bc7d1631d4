using System.Text;
using Moat.Read;

namespace Moat.Intel;

/// <summary>Something odd about an intelligence file that did not stop it from loading.</summary>
public sealed record IntelWarning(string Source, string Message)
{
    public override string ToString() => $"{Source}: warning: {Message}";
}

/// <summary>
/// The bad lines of one file. After <see cref="Cap"/> of them the rest are only counted: a file in the wrong
/// format (a JSON feed given as a threat list) would otherwise report each of its million lines.
/// </summary>
internal sealed class ErrorLog(string source)
{
    public const int Cap = 100;

    private readonly List<ReadError> _errors = [];
    private long _unshown;

    public string Source => source;

    public int Count => _errors.Count + (int)Math.Min(_unshown, int.MaxValue);

    public void Add(long? line, string reason)
    {
        if (_errors.Count < Cap) _errors.Add(new ReadError(source, reason, Line: line));
        else _unshown++;
    }

    public IReadOnlyList<ReadError> ToList()
    {
        if (_unshown == 0) return _errors;
        return [.. _errors, new ReadError(source, $"{_unshown} more bad lines not shown")];
    }
}

/// <summary>Reads an intelligence file line by line, whatever its compression, and reports why it could not.</summary>
internal static class IntelInput
{
    /// <summary>
    /// Calls <paramref name="onLine"/> with each line and its 1-based number until it returns false or the input
    /// ends. gzip is undone by magic bytes; a cut-off gzip, a missing file or an I/O failure becomes one error
    /// (the lines before it have been delivered). Returns false when the input could not be read to its end.
    /// </summary>
    public static bool ReadLines(InputFile file, ErrorLog errors, Func<string, long, bool> onLine)
    {
        long line = 0;
        try
        {
            using var raw = file.OpenDecoded(out var gzip);
            using var counted = new CountingStream(raw);
            using var reader = new StreamReader(counted, Encoding.UTF8, detectEncodingFromByteOrderMarks: true, bufferSize: 1 << 16);
            while (reader.ReadLine() is { } text)
            {
                line++;
                if (!onLine(text, line)) return true;
            }
            if (gzip?.Problem(counted.BytesRead) is { } problem)
            {
                errors.Add(null, $"{problem}; the {line} lines before the cut were loaded");
                return false;
            }
            return true;
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException or InvalidDataException)
        {
            errors.Add(line > 0 ? line + 1 : null, "cannot read: " + e.Message + (line > 0 ? $"; the {line} lines before it were loaded" : ""));
            return false;
        }
    }

    /// <summary>
    /// The list name a file gives by default: its name without the extensions intelligence files carry
    /// (<c>firehol_level1.netset</c> → <c>firehol_level1</c>, <c>ip2asn-v4.tsv.gz</c> → <c>ip2asn-v4</c>). Other
    /// dots stay, so <c>blocklist.de.txt</c> is <c>blocklist.de</c>.
    /// </summary>
    public static string BaseName(string path)
    {
        var name = Path.GetFileName(path);
        while (true)
        {
            var ext = Path.GetExtension(name);
            if (ext.Length == 0 || !KnownExtensions.Contains(ext) || ext.Length == name.Length) return name;
            name = name[..^ext.Length];
        }
    }

    private static readonly HashSet<string> KnownExtensions = new(StringComparer.OrdinalIgnoreCase)
    {
        ".gz", ".gzip", ".txt", ".text", ".netset", ".ipset", ".list", ".lst", ".csv", ".tsv", ".dat",
    };

    /// <summary>Line text for an error message, cut short so a binary file's "line" does not flood the terminal.</summary>
    public static string Quote(ReadOnlySpan<char> text)
    {
        const int max = 60;
        return text.Length <= max ? $"'{text}'" : $"'{text[..max]}...'";
    }

    private sealed class CountingStream(Stream inner) : ReadOnlyWrapperStream(inner)
    {
        public long BytesRead { get; private set; }

        public override int Read(Span<byte> buffer)
        {
            int n = Inner.Read(buffer);
            BytesRead += n;
            return n;
        }

    }
}

/// <summary>
/// Keeps private and reserved space (<see cref="IpClass"/>) out of a list and counts what it kept out, for the
/// warning. A range that only straddles such space (<c>96.0.0.0/4</c> over 100.64.0.0/10) keeps its public parts.
/// </summary>
internal sealed class NonPublicFilter
{
    private readonly Dictionary<string, int> _dropped = new(StringComparer.Ordinal);
    private readonly List<(UInt128 First, UInt128 Last)> _parts = [];

    public int Dropped { get; private set; }
    public int Trimmed { get; private set; }

    /// <summary>Adds the public part of the range; returns false when nothing of it was public.</summary>
    public bool Add(IpRangeSetBuilder into, int list, bool v6, UInt128 first, UInt128 last)
    {
        if (v6 && IpAddr.IsMapped(first) && IpAddr.IsMapped(last))
        {
            // ::ffff:10.0.0.1 is 10.0.0.1; judge it as IPv4.
            v6 = false;
            first &= uint.MaxValue;
            last &= uint.MaxValue;
        }
        _parts.Clear();
        var reason = IpClass.Carve(v6, first, last, _parts);
        if (reason is null)
        {
            into.Add(list, v6, first, last);
            return true;
        }
        if (_parts.Count == 0)
        {
            Dropped++;
            _dropped[reason] = _dropped.GetValueOrDefault(reason) + 1;
            return false;
        }
        Trimmed++;
        foreach (var (f, l) in _parts) into.Add(list, v6, f, l);
        return true;
    }

    public IntelWarning? Warning(string source)
    {
        if (Dropped == 0 && Trimmed == 0) return null;
        var text = new StringBuilder();
        if (Dropped > 0)
        {
            text.Append("ignored ").Append(Dropped).Append(Dropped == 1 ? " private or reserved entry (" : " private or reserved entries (");
            text.AppendJoin(", ", _dropped.OrderByDescending(p => p.Value).ThenBy(p => p.Key, StringComparer.Ordinal).Select(p => $"{p.Value} {p.Key}"));
            text.Append(')');
        }
        if (Trimmed > 0)
        {
            if (Dropped > 0) text.Append("; ");
            text.Append("kept only the public part of ").Append(Trimmed).Append(Trimmed == 1 ? " entry" : " entries")
                .Append(" overlapping private or reserved space");
        }
        text.Append(": a threat list holding them would flag every internal client");
        return new IntelWarning(source, text.ToString());
    }
}
