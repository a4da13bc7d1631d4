using System.Globalization;
using Moat.Read;

namespace Moat.Intel;

/// <summary>What the TorDNSEL format says about one exit address: the relay seen using it, and when.</summary>
/// <param name="Fingerprint">The relay's 40-hex-digit identity (<c>ExitNode</c>).</param>
/// <param name="Published">When the relay's descriptor was published, if the record said.</param>
/// <param name="LastSeen">When the exit scanner last saw traffic leave from this address (<c>ExitAddress</c>).</param>
public sealed record TorExitInfo(string Fingerprint, DateTimeOffset? Published, DateTimeOffset LastSeen);

/// <summary>The two published shapes of the Tor exit list.</summary>
internal enum TorExitFormat
{
    /// <summary><c>check.torproject.org/torbulkexitlist</c>: one address per line.</summary>
    BulkList,

    /// <summary><c>check.torproject.org/exit-addresses</c> and CollecTor's <c>@type tordnsel 1.0</c> archives.</summary>
    ExitAddresses,
}

/// <summary>
/// Tor exit addresses (<c>--tor-exits FILE</c>) as an <see cref="IpRangeSet"/> whose one list is named
/// <see cref="ListName"/>. The format is told from the content: a first line starting with <c>@type tordnsel</c>
/// or a TorDNSEL keyword (<c>Downloaded</c>, <c>ExitNode</c>, <c>ExitAddress</c>...) means TorDNSEL, anything
/// else the bulk list.
/// </summary>
/// <remarks>
/// A TorDNSEL record, one per relay; a relay may exit from several addresses:
/// <code>
/// ExitNode 0011BD2485AD45D984EC4159C88FC066E5E3300E
/// Published 2024-01-01 11:02:05
/// LastStatus 2024-01-01 12:00:00
/// ExitAddress 162.247.74.201 2024-01-01 12:04:41
/// ExitAddress 162.247.74.202 2024-01-01 12:09:13
/// </code>
/// Keywords other than these (and CollecTor's <c>@type</c> and <c>Downloaded</c> headers) are skipped, as Tor's
/// directory formats ask of readers. When relays share an address, the most recent sighting is kept.
/// </remarks>
internal sealed class TorExitList
{
    public const string ListName = "tor-exit";

    private readonly Dictionary<IpAddr, TorExitInfo> _details;

    private TorExitList(IpRangeSet set, TorExitFormat format, int count, Dictionary<IpAddr, TorExitInfo> details,
        IReadOnlyList<ReadError> errors, IReadOnlyList<IntelWarning> warnings)
    {
        Set = set;
        Format = format;
        Count = count;
        _details = details;
        Errors = errors;
        Warnings = warnings;
    }

    public IpRangeSet Set { get; }

    public TorExitFormat Format { get; }

    /// <summary>Distinct exit addresses loaded.</summary>
    public int Count { get; }

    public IReadOnlyList<ReadError> Errors { get; }

    public IReadOnlyList<IntelWarning> Warnings { get; }

    public bool Contains(IpAddr ip) => Set.Contains(ip);

    public bool Contains(ReadOnlySpan<char> ip) => Set.Contains(ip);

    /// <summary>The relay and last sighting for an exit address; null for the bulk list or an unknown address.</summary>
    public TorExitInfo? Describe(IpAddr ip) => _details.GetValueOrDefault(ip);

    /// <summary>Loads the file; never throws for bad content or I/O (see <see cref="Errors"/>).</summary>
    public static TorExitList Load(InputFile file)
    {
        var builder = new IpRangeSetBuilder();
        int list = builder.AddList(ListName);
        var errors = new ErrorLog(file.DisplayName);
        var filter = new NonPublicFilter();
        var seen = new HashSet<IpAddr>();
        var details = new Dictionary<IpAddr, TorExitInfo>();
        TorExitFormat? format = null;
        string? node = null;
        DateTimeOffset? published = null;

        IntelInput.ReadLines(file, errors, (text, line) =>
        {
            var span = text.AsSpan().Trim();
            if (span.IsEmpty || span[0] == '#') return true;
            format ??= IsTorDnsel(span) ? TorExitFormat.ExitAddresses : TorExitFormat.BulkList;
            if (format == TorExitFormat.BulkList)
            {
                if (IpAddr.TryParse(span, out var ip)) Add(ip);
                else errors.Add(line, $"not an IP address: {IntelInput.Quote(span)}");
                return true;
            }

            int space = span.IndexOf(' ');
            var keyword = space < 0 ? span : span[..space];
            var args = space < 0 ? ReadOnlySpan<char>.Empty : span[(space + 1)..].Trim();
            switch (keyword)
            {
                case "ExitNode":
                    published = null;
                    node = null;
                    if (args.Length == 40 && !args.ContainsAnyExcept(HexDigits)) node = args.ToString().ToUpperInvariant();
                    else errors.Add(line, $"ExitNode fingerprint is not 40 hex digits: {IntelInput.Quote(args)}");
                    break;
                case "Published":
                    if (TryParseTime(args, out var p)) published = p;
                    else errors.Add(line, $"Published time is not YYYY-MM-DD HH:MM:SS: {IntelInput.Quote(args)}");
                    break;
                case "ExitAddress":
                    ExitAddress(args, line);
                    break;
            }
            return true;
        });

        var warnings = new List<IntelWarning>();
        if (filter.Warning(file.DisplayName) is { } w) warnings.Add(w);
        if (seen.Count == 0 && errors.Count == 0) warnings.Add(new IntelWarning(file.DisplayName, "holds no Tor exit addresses"));
        return new TorExitList(builder.Build(), format ?? TorExitFormat.BulkList, seen.Count, details, errors.ToList(), warnings);

        void ExitAddress(ReadOnlySpan<char> args, long line)
        {
            int space = args.IndexOf(' ');
            if (space < 0 || !IpAddr.TryParse(args[..space], out var ip))
            {
                errors.Add(line, $"ExitAddress needs an IP address and a time: {IntelInput.Quote(args)}");
                return;
            }
            if (!TryParseTime(args[(space + 1)..], out var seenAt))
            {
                errors.Add(line, $"ExitAddress time is not YYYY-MM-DD HH:MM:SS: {IntelInput.Quote(args[(space + 1)..])}");
                return;
            }
            // Before any ExitNode, or after a broken one, the address is still an exit, only without its relay.
            if (node is null) errors.Add(line, "ExitAddress outside an ExitNode record; loaded without its relay");
            if (!Add(ip) || node is null) return;
            if (!details.TryGetValue(ip, out var known) || known.LastSeen < seenAt)
                details[ip] = new TorExitInfo(node, published, seenAt);
        }

        bool Add(IpAddr ip)
        {
            if (!filter.Add(builder, list, ip.V6, ip.Value, ip.Value)) return false;
            seen.Add(ip);
            return true;
        }
    }

    /// <summary>A first line that only the TorDNSEL format has: a CollecTor header or one of its keywords.</summary>
    private static bool IsTorDnsel(ReadOnlySpan<char> line)
    {
        if (line.StartsWith("@type tordnsel")) return true;
        int space = line.IndexOf(' ');
        return space > 0 && line[..space] is "Downloaded" or "ExitNode" or "Published" or "LastStatus" or "ExitAddress";
    }

    private static readonly System.Buffers.SearchValues<char> HexDigits =
        System.Buffers.SearchValues.Create("0123456789abcdefABCDEF");

    private static bool TryParseTime(ReadOnlySpan<char> text, out DateTimeOffset time) =>
        DateTimeOffset.TryParseExact(text.Trim(), "yyyy-MM-dd HH:mm:ss", CultureInfo.InvariantCulture,
            DateTimeStyles.AssumeUniversal | DateTimeStyles.AdjustToUniversal, out time);
}
