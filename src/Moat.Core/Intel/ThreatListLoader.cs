using System.Text;
using Moat.Compile;
using Moat.Read;

namespace Moat.Intel;

/// <summary>What loading one <c>--threat-list</c> file gave: its list name, entries kept, bad lines, warnings.</summary>
internal sealed record ThreatListFile(string Source, string Name, int Entries, IReadOnlyList<ReadError> Errors, IReadOnlyList<IntelWarning> Warnings);

/// <summary>Every threat list in one set, with what each file reported.</summary>
internal sealed record ThreatLists(IpRangeSet Set, IReadOnlyList<ThreatListFile> Files)
{
    public IEnumerable<ReadError> Errors => Files.SelectMany(f => f.Errors);

    public IEnumerable<IntelWarning> Warnings => Files.SelectMany(f => f.Warnings);
}

/// <summary>
/// Reads threat lists (<c>--threat-list FILE</c>), gzip or not, in three shapes told apart by content:
/// <list type="bullet">
/// <item>one entry per line, as GuardDuty's TXT ThreatIntelSet and FireHOL <c>.netset</c> files: an address
/// (a bare address is /32 or /128), a CIDR block or a <c>first-last</c> range; blank lines, <c>#</c> comment
/// lines, and comments after the entry (<c>1.2.3.4 # scanner</c>, Spamhaus DROP's <c>1.2.3.0/24 ; SBL123</c>);</item>
/// <item>CSV whose header row (the first line that is not a comment) has a column named <c>ip</c>,
/// <c>ip_address</c>, <c>address</c> or <c>indicator</c> (case, spaces, <c>_</c> and <c>-</c> ignored, so
/// AbuseIPDB's <c>ipAddress</c> counts); the first of these wins. Quoted fields may hold commas, doubled quotes and
/// line breaks;</item>
/// <item>a header naming one of those columns alone, then one address per line.</item>
/// </list>
/// The list is named after the file without its extensions, or by a <c># Name: X</c> comment before the first
/// entry. Files with the same list name form one list. Private and reserved space is left out with one warning
/// per file (<see cref="NonPublicFilter"/>); a bad line is reported with its number and the rest still loads.
/// </summary>
internal static class ThreatListLoader
{
    /// <summary>Accepted CSV column names, normalised (<see cref="NormaliseColumn"/>), in order of preference.</summary>
    private static readonly string[] IpColumns = ["ip", "ipaddress", "address", "indicator"];

    public static ThreatLists Load(IEnumerable<InputFile> files)
    {
        var builder = new IpRangeSetBuilder();
        var results = new List<ThreatListFile>();
        foreach (var file in files) results.Add(Load(file, builder));
        return new ThreatLists(builder.Build(), results);
    }

    /// <summary>Adds one file's entries to <paramref name="into"/>; never throws for bad content or I/O.</summary>
    public static ThreatListFile Load(InputFile file, IpRangeSetBuilder into)
    {
        var parser = new Parser(file, into);
        IntelInput.ReadLines(file, parser.Errors, parser.OnLine);
        return parser.Finish();
    }

    private enum Shape { Unknown, Lines, Csv }

    private sealed class Parser(InputFile file, IpRangeSetBuilder into)
    {
        private readonly NonPublicFilter _filter = new();
        private readonly List<string> _fields = [];
        private Shape _shape;
        private string? _name;
        private int _list = -1;
        private int _column;
        private int _entries;
        private string? _pending; // a CSV record whose quoted field runs on to the next line
        private long _pendingLine;

        public ErrorLog Errors { get; } = new(file.DisplayName);

        /// <summary>
        /// The list id, registered at the first entry: until then a <c># Name:</c> comment may still rename the list.
        /// </summary>
        private int ListId => _list >= 0 ? _list : _list = into.AddList(_name ?? IntelInput.BaseName(file.DisplayName));

        public bool OnLine(string text, long line)
        {
            if (_pending is not null)
            {
                _pending += "\n" + text;
                return CsvRecord(_pending, _pendingLine);
            }
            var span = text.AsSpan().Trim();
            if (span.IsEmpty) return true;
            if (span[0] == '#')
            {
                if (_list < 0 && _name is null) _name = NameHeader(span[1..]);
                return true;
            }
            switch (_shape)
            {
                case Shape.Unknown when LooksLikeCsvHeader(span):
                    return CsvHeader(text, line);
                case Shape.Unknown:
                    _shape = Shape.Lines;
                    return Entry(span, line);
                case Shape.Lines:
                    return Entry(span, line);
                default:
                    return CsvRecord(text, line);
            }
        }

        /// <summary>A comma before any comment (<c>1.2.3.4 # a, b</c> is not CSV), or a lone column name.</summary>
        private static bool LooksLikeCsvHeader(ReadOnlySpan<char> line)
        {
            int comment = line.IndexOfAny('#', ';');
            if (comment >= 0) line = line[..comment];
            return line.Contains(',') || Array.IndexOf(IpColumns, NormaliseColumn(line)) >= 0;
        }

        public ThreatListFile Finish()
        {
            if (_pending is not null) Errors.Add(_pendingLine, "quoted field is never closed");
            _ = ListId; // a list without entries is still a list the set knows by name
            var warnings = new List<IntelWarning>();
            if (_filter.Warning(file.DisplayName) is { } w) warnings.Add(w);
            if (_entries == 0 && _filter.Dropped == 0 && Errors.Count == 0)
                warnings.Add(new IntelWarning(file.DisplayName, "holds no addresses"));
            return new ThreatListFile(file.DisplayName, into.ListName(ListId), _entries, Errors.ToList(), warnings);
        }

        /// <summary>One entry per line; what follows <c>#</c> or <c>;</c> is a comment.</summary>
        private bool Entry(ReadOnlySpan<char> text, long line)
        {
            int comment = text.IndexOfAny('#', ';');
            if (comment >= 0) text = text[..comment].TrimEnd();
            if (text.IsEmpty) return true;
            int space = text.IndexOfAny(' ', '\t');
            if (space >= 0)
            {
                // "1.2.3.4 1.2.3.9" or "1.2.3.4 scanner": taking the first word could silently load the wrong thing.
                Errors.Add(line, $"unexpected text after the address: {IntelInput.Quote(text)}");
                return true;
            }
            Add(text, line);
            return true;
        }

        private void Add(ReadOnlySpan<char> text, long line)
        {
            if (!TryParseEntry(text, out bool v6, out var first, out var last, out string? why))
            {
                Errors.Add(line, why);
                return;
            }
            if (_filter.Add(into, ListId, v6, first, last)) _entries++;
        }

        private bool CsvHeader(string text, long line)
        {
            _ = SplitCsv(text, _fields);
            for (int c = 0; c < IpColumns.Length; c++)
            {
                for (int f = 0; f < _fields.Count; f++)
                {
                    if (NormaliseColumn(_fields[f]) != IpColumns[c]) continue;
                    _shape = Shape.Csv;
                    _column = f;
                    return true;
                }
            }
            Errors.Add(line, $"CSV header has no ip, ip_address, address or indicator column (columns: {string.Join(", ", _fields)}); nothing loaded from this file");
            return false;
        }

        private bool CsvRecord(string text, long line)
        {
            if (!SplitCsv(text, _fields))
            {
                if (_pending is null) _pendingLine = line;
                _pending = text;
                return true;
            }
            _pending = null;
            if (_column >= _fields.Count)
            {
                Errors.Add(line, $"row has {_fields.Count} fields; the address is field {_column + 1}");
                return true;
            }
            var value = _fields[_column].AsSpan().Trim();
            if (value.IsEmpty) Errors.Add(line, "the address field is empty");
            else Add(value, line);
            return true;
        }
    }

    /// <summary>
    /// An address, CIDR block (host bits masked off, as <see cref="Cidr"/> does) or inclusive <c>first-last</c>
    /// range, as written in iprange and some vendor lists.
    /// </summary>
    internal static bool TryParseEntry(ReadOnlySpan<char> text, out bool v6, out UInt128 first, out UInt128 last, out string why)
    {
        v6 = false;
        first = last = 0;
        why = "";
        int dash = text.IndexOf('-');
        if (dash >= 0)
        {
            if (!IpAddr.TryParse(text[..dash], out var a) || !IpAddr.TryParse(text[(dash + 1)..], out var b))
            {
                why = $"not an IP address range: {IntelInput.Quote(text)}";
                return false;
            }
            if (a.V6 != b.V6)
            {
                why = $"range mixes IPv4 and IPv6: {IntelInput.Quote(text)}";
                return false;
            }
            if (a.Value > b.Value)
            {
                why = $"range ends before it starts: {IntelInput.Quote(text)}";
                return false;
            }
            (v6, first, last) = (a.V6, a.Value, b.Value);
            return true;
        }
        if (text.IndexOf('/') < 0 && IpAddr.TryParse(text, out var ip))
        {
            // Most lines are bare addresses; this parse does not allocate, and accepts what Cidr accepts.
            (v6, first, last) = (ip.V6, ip.Value, ip.Value);
            return true;
        }
        if (!Cidr.TryParse(text, out var cidr))
        {
            why = $"not an IP address or CIDR block: {IntelInput.Quote(text)}";
            return false;
        }
        (v6, first, last) = (cidr.V6, cidr.First, cidr.Last);
        return true;
    }

    /// <summary>The value of a <c>Name: X</c> comment (any case, spaces around the colon), or null.</summary>
    private static string? NameHeader(ReadOnlySpan<char> comment)
    {
        comment = comment.Trim();
        if (!comment.StartsWith("name", StringComparison.OrdinalIgnoreCase)) return null;
        var rest = comment[4..].TrimStart();
        if (rest.IsEmpty || rest[0] != ':') return null;
        var name = rest[1..].Trim();
        return name.IsEmpty ? null : name.ToString();
    }

    /// <summary><c>IP Address</c>, <c>ip_address</c> and <c>ipAddress</c> all become <c>ipaddress</c>.</summary>
    private static string NormaliseColumn(ReadOnlySpan<char> name)
    {
        var text = new StringBuilder(name.Length);
        foreach (char c in name.Trim())
            if (c is not (' ' or '_' or '-' or '"')) text.Append(char.ToLowerInvariant(c));
        return text.ToString();
    }

    /// <summary>
    /// Splits one CSV record (RFC 4180: quoted fields may hold commas, line breaks and doubled quotes).
    /// Returns false when a quoted field is still open at the end: the record goes on on the next line.
    /// </summary>
    internal static bool SplitCsv(string text, List<string> fields)
    {
        fields.Clear();
        int i = 0;
        while (true)
        {
            int start = i;
            while (i < text.Length && text[i] == ' ') i++;
            if (i < text.Length && text[i] == '"')
            {
                var value = new StringBuilder();
                i++;
                while (true)
                {
                    if (i >= text.Length) return false;
                    char c = text[i++];
                    if (c != '"') value.Append(c);
                    else if (i < text.Length && text[i] == '"') { value.Append('"'); i++; }
                    else break;
                }
                while (i < text.Length && text[i] != ',') i++;
                fields.Add(value.ToString());
            }
            else
            {
                int comma = text.IndexOf(',', start);
                if (comma < 0) comma = text.Length;
                fields.Add(text[start..comma].Trim());
                i = comma;
            }
            if (i >= text.Length) return true;
            i++;
        }
    }
}
