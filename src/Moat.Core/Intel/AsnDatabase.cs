using System.Globalization;
using System.Numerics;
using Moat.Read;

namespace Moat.Intel;

/// <summary>The autonomous system announcing an address: its number, registry country and organisation.</summary>
/// <param name="Number">The AS number (32-bit).</param>
/// <param name="Country">Two-letter country code, or null when the source says <c>None</c> or nothing.</param>
/// <param name="Organization">The AS description as the source gives it (<c>CLOUDFLARENET</c>).</param>
public sealed record AsnInfo(uint Number, string? Country, string Organization);

/// <summary>
/// Address → AS lookups (<c>--asn-db FILE</c>) from an iptoasn.com TSV file: <c>ip2asn-v4.tsv</c>,
/// <c>ip2asn-v6.tsv</c> or <c>ip2asn-combined.tsv</c>, gzip or not. Each line is an inclusive range,
/// <c>range_start TAB range_end TAB AS_number TAB country_code TAB AS_description</c>:
/// <code>1.0.0.0	1.0.0.255	13335	US	CLOUDFLARENET</code>
/// Unannounced space (<c>0.0.0.0	0.255.255.255	0	None	Not routed</c>) is not stored, so it answers null.
/// </summary>
/// <remarks>
/// Memory grows with the ranges, not the address space: per IPv4 range two <see cref="uint"/> bounds and an
/// index into the distinct <see cref="AsnInfo"/> records (one per AS, country and description, shared by all
/// its ranges). Adjacent rows of the same AS are joined. The file is sorted in practice; if it is not, it is
/// sorted here. A row overlapping an earlier one is reported and left out, because a binary search over
/// overlapping ranges could answer either.
/// </remarks>
internal sealed class AsnDatabase
{
    private readonly RangeTable<uint> _v4;
    private readonly RangeTable<UInt128> _v6;
    private readonly AsnInfo[] _infos;

    private AsnDatabase(RangeTable<uint> v4, RangeTable<UInt128> v6, AsnInfo[] infos, int notRouted,
        IReadOnlyList<ReadError> errors, IReadOnlyList<IntelWarning> warnings)
    {
        _v4 = v4;
        _v6 = v6;
        _infos = infos;
        NotRouted = notRouted;
        Errors = errors;
        Warnings = warnings;
    }

    public static AsnDatabase Empty { get; } = new(RangeTable<uint>.Empty, RangeTable<UInt128>.Empty, [], 0, [], []);

    /// <summary>Routed ranges held (after joining adjacent rows of the same AS).</summary>
    public int RangeCount => _v4.Count + _v6.Count;

    /// <summary>Distinct (AS number, country, description) records.</summary>
    public int AsnCount => _infos.Length;

    /// <summary>Rows for unannounced space, skipped.</summary>
    public int NotRouted { get; }

    public IReadOnlyList<ReadError> Errors { get; }

    public IReadOnlyList<IntelWarning> Warnings { get; }

    /// <summary>The AS announcing the address, or null for unannounced space and addresses the file lacks.</summary>
    public AsnInfo? Lookup(IpAddr ip)
    {
        int info = ip.V6 ? _v6.Find(ip.Value) : _v4.Find((uint)ip.Value);
        return info >= 0 ? _infos[info] : null;
    }

    /// <summary>As <see cref="Lookup(IpAddr)"/>; null for text that is not an IP address.</summary>
    public AsnInfo? Lookup(ReadOnlySpan<char> ip) => IpAddr.TryParse(ip, out var a) ? Lookup(a) : null;

    /// <summary>Loads the file; never throws for bad content or I/O (see <see cref="Errors"/>).</summary>
    public static AsnDatabase Load(InputFile file)
    {
        var errors = new ErrorLog(file.DisplayName);
        var infos = new List<AsnInfo>();
        // Keyed by the row's "AS TAB country TAB description" text, looked up as a span: no string per repeat.
        var infoIds = new Dictionary<string, int>(StringComparer.Ordinal);
        var infoLookup = infoIds.GetAlternateLookup<ReadOnlySpan<char>>();
        var v4 = new Rows<uint>();
        var v6 = new Rows<UInt128>();
        int notRouted = 0;

        IntelInput.ReadLines(file, errors, (text, line) =>
        {
            var span = text.AsSpan();
            if (span.IsWhiteSpace() || span.TrimStart().StartsWith('#')) return true;
            Span<Range> fields = stackalloc Range[6];
            int count = span.Split(fields, '\t');
            if (count < 5)
            {
                errors.Add(line, $"expected 5 tab-separated fields (range_start, range_end, AS_number, country, AS_description), found {count}");
                return true;
            }
            if (!IpAddr.TryParse(span[fields[0]], out var first))
            {
                errors.Add(line, $"range_start is not an IP address: {IntelInput.Quote(span[fields[0]])}");
                return true;
            }
            if (!IpAddr.TryParse(span[fields[1]], out var last))
            {
                errors.Add(line, $"range_end is not an IP address: {IntelInput.Quote(span[fields[1]])}");
                return true;
            }
            if (first.V6 != last.V6)
            {
                errors.Add(line, "range mixes IPv4 and IPv6");
                return true;
            }
            if (first.Value > last.Value)
            {
                errors.Add(line, "range_end is before range_start");
                return true;
            }
            if (!uint.TryParse(span[fields[2]], NumberStyles.None, CultureInfo.InvariantCulture, out uint asn))
            {
                errors.Add(line, $"AS_number is not a number: {IntelInput.Quote(span[fields[2]])}");
                return true;
            }
            // The description runs to the end of the line (a sixth field, if any, is part of it).
            var description = span[fields[4].Start..];
            if (asn == 0 || description.SequenceEqual("Not routed"))
            {
                notRouted++;
                return true;
            }
            var key = span[fields[2].Start..];
            if (!infoLookup.TryGetValue(key, out int info))
            {
                var country = span[fields[3]];
                info = infos.Count;
                infos.Add(new AsnInfo(asn, country.IsEmpty || country.SequenceEqual("None") ? null : country.ToString(), description.ToString()));
                infoIds.Add(key.ToString(), info);
            }
            if (first.V6) v6.Add(first.Value, last.Value, info, line);
            else v4.Add((uint)first.Value, (uint)last.Value, info, line);
            return true;
        });

        var t4 = v4.ToTable(errors);
        var t6 = v6.ToTable(errors);
        var warnings = new List<IntelWarning>();
        if (t4.Count + t6.Count == 0 && errors.Count == 0)
            warnings.Add(new IntelWarning(file.DisplayName, "holds no routed ranges"));
        return new AsnDatabase(t4, t6, [.. infos], notRouted, errors.ToList(), warnings);
    }

    /// <summary>One family's rows while loading, with their line numbers for overlap errors.</summary>
    private sealed class Rows<T> where T : unmanaged, IBinaryInteger<T>
    {
        private readonly RangeBuffer<T> _rows = new();
        private readonly List<long> _lines = [];
        private bool _sorted = true;

        public void Add(T first, T last, int info, long line)
        {
            if (_rows.Count > 0 && first < _rows.First[^1]) _sorted = false;
            _rows.Add(first, last, info);
            _lines.Add(line);
        }

        public RangeTable<T> ToTable(ErrorLog errors)
        {
            int n = _rows.Count;
            if (n == 0) return RangeTable<T>.Empty;
            var order = new int[n];
            for (int i = 0; i < n; i++) order[i] = i;
            if (!_sorted) new Span<T>(_rows.First.ToArray()).Sort(order.AsSpan());

            var first = _rows.First;
            var last = _rows.Last;
            var info = _rows.Payload;
            var kept = new RangeBuffer<T>();
            long keptLine = 0;
            foreach (int i in order)
            {
                if (kept.Count > 0)
                {
                    T prevLast = kept.Last[^1];
                    if (first[i] <= prevLast)
                    {
                        errors.Add(_lines[i], $"range overlaps the one on line {keptLine}; left out");
                        continue;
                    }
                    if (kept.Payload[^1] == info[i] && prevLast + T.One == first[i])
                    {
                        kept.ExtendLast(last[i]);
                        keptLine = _lines[i];
                        continue;
                    }
                }
                kept.Add(first[i], last[i], info[i]);
                keptLine = _lines[i];
            }
            return kept.ToTable();
        }
    }
}
