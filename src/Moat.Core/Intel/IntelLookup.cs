using Moat.Logins;
using Moat.Read;

namespace Moat.Intel;

/// <summary>
/// Threat lists, Tor exits and the ASN database behind the narrow <see cref="ILoginIntel"/> view the login
/// detector uses. Loading reports every bad line and warning; the detector never sees files.
/// </summary>
internal sealed class IntelLookup : ILoginIntel
{
    private readonly IpRangeSet _threats;
    private readonly List<TorExitList> _tor;
    private readonly List<AsnDatabase> _asn;

    public IReadOnlyList<ReadError> Errors { get; }
    public IReadOnlyList<IntelWarning> Warnings { get; }
    public IReadOnlyList<string> Summary { get; }

    private IntelLookup(IpRangeSet threats, List<TorExitList> tor, List<AsnDatabase> asn, List<ReadError> errors, List<IntelWarning> warnings, List<string> summary)
    {
        _threats = threats;
        _tor = tor;
        _asn = asn;
        Errors = errors;
        Warnings = warnings;
        Summary = summary;
    }

    public static IntelLookup Load(IReadOnlyList<string> threatLists, IReadOnlyList<string> torExits, IReadOnlyList<string> asnDbs)
    {
        var errors = new List<ReadError>();
        var warnings = new List<IntelWarning>();
        var summary = new List<string>();
        var threatInputs = InputExpander.Expand(threatLists, errors);
        var threats = ThreatListLoader.Load(threatInputs);
        errors.AddRange(threats.Errors);
        warnings.AddRange(threats.Warnings);
        foreach (var f in threats.Files) summary.Add($"threat list '{f.Name}': {f.Entries:N0} entries from {f.Source}");
        var tor = new List<TorExitList>();
        foreach (var input in InputExpander.Expand(torExits, errors))
        {
            var t = TorExitList.Load(input);
            errors.AddRange(t.Errors);
            warnings.AddRange(t.Warnings);
            summary.Add($"Tor exits: {t.Count:N0} addresses from {input.DisplayName}");
            tor.Add(t);
        }
        var asn = new List<AsnDatabase>();
        foreach (var input in InputExpander.Expand(asnDbs, errors))
        {
            var a = AsnDatabase.Load(input);
            errors.AddRange(a.Errors);
            warnings.AddRange(a.Warnings);
            summary.Add($"ASN database: {a.RangeCount:N0} ranges, {a.AsnCount:N0} AS from {input.DisplayName}");
            asn.Add(a);
        }
        return new IntelLookup(threats.Set, tor, asn, errors, warnings, summary);
    }

    public string? ThreatList(string ip)
    {
        var lists = _threats.ListsContaining(ip);
        return lists.Count == 0 ? null : string.Join(",", lists);
    }

    public bool IsTorExit(string ip)
    {
        foreach (var t in _tor)
            if (t.Contains(ip)) return true;
        return false;
    }

    public string? AsnOrg(string ip)
    {
        foreach (var a in _asn)
            if (a.Lookup(ip) is { } info) return $"AS{info.Number} {info.Organization}";
        return null;
    }

    public bool IsPrivate(string ip) => IpClass.IsPrivate(ip);
}
