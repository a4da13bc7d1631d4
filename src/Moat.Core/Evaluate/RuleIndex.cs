using System.Text;
using Moat.Compile;

namespace Moat.Evaluate;

/// <summary>
/// Rules bucketed by eventName (and filtered by eventSource), so an event visits only the rules that can
/// match it. Lookups go from the UTF-8 bytes of the event straight to the bucket, with no string made.
/// </summary>
public sealed class RuleIndex
{
    private readonly Dictionary<string, Entry[]> _byName;
    private readonly Dictionary<string, Entry[]>.AlternateLookup<ReadOnlySpan<char>> _lookup;

    private sealed record Entry(CompiledRule Rule, byte[][]? Sources);

    public RuleIndex(IReadOnlyList<CompiledRule> rules)
    {
        Rules = rules;
        // Case-insensitive: Sigma compares without case, and a Moat rule's own equality test still decides.
        var buckets = new Dictionary<string, List<Entry>>(StringComparer.OrdinalIgnoreCase);
        var unindexed = new List<CompiledRule>();
        foreach (var r in rules)
        {
            if (r.EventNames is null) { unindexed.Add(r); continue; }
            var sources = r.EventSources?.Select(s => Encoding.UTF8.GetBytes(s)).ToArray();
            foreach (var n in r.EventNames)
            {
                if (!buckets.TryGetValue(n, out var list)) buckets[n] = list = [];
                list.Add(new Entry(r, sources));
            }
        }
        _byName = buckets.ToDictionary(kv => kv.Key, kv => kv.Value.ToArray(), StringComparer.OrdinalIgnoreCase);
        _lookup = _byName.GetAlternateLookup<ReadOnlySpan<char>>();
        Unindexed = [.. unindexed.Where(r => r.Literals is null)];
        Prefiltered = [.. unindexed.Where(r => r.Literals is not null)];
        var literals = Prefiltered.SelectMany(r => r.Literals!).Distinct(StringComparer.OrdinalIgnoreCase).ToArray();
        _literals = literals.Length > 0 ? System.Buffers.SearchValues.Create(literals, StringComparison.OrdinalIgnoreCase) : null;
    }

    private readonly System.Buffers.SearchValues<string>? _literals;

    /// <summary>Rules without eventName keys that name texts an event must contain: checked on the raw bytes first.</summary>
    public CompiledRule[] Prefiltered { get; }

    public IReadOnlyList<CompiledRule> Rules { get; }

    /// <summary>Rules that do not pin eventName and name no required text: every event visits them.</summary>
    public CompiledRule[] Unindexed { get; }

    /// <summary>Adds the rules that can match an event with this source and name to <paramref name="into"/>.</summary>
    internal void Candidates(ReadOnlySpan<byte> source, ReadOnlySpan<byte> name, List<CompiledRule> into)
    {
        into.Clear();
        if (!name.IsEmpty && name.Length <= 256)
        {
            Span<char> chars = stackalloc char[name.Length];
            if (Encoding.UTF8.TryGetChars(name, chars, out int n) && _lookup.TryGetValue(chars[..n], out var entries))
            {
                foreach (var e in entries)
                {
                    if (e.Sources is null) { into.Add(e.Rule); continue; }
                    foreach (var s in e.Sources)
                        if (System.Text.Ascii.EqualsIgnoreCase(source, s)) { into.Add(e.Rule); break; }
                }
            }
        }
        into.AddRange(Unindexed);
    }

    /// <summary>
    /// Adds the prefiltered rules when the record's text contains one of their texts (ignoring case). The
    /// bytes are widened to chars in a pooled buffer for the vectorised multi-string search.
    /// </summary>
    internal void PrefilteredCandidates(ReadOnlySpan<byte> record, List<CompiledRule> into)
    {
        if (_literals is null) return;
        var chars = System.Buffers.ArrayPool<char>.Shared.Rent(record.Length);
        try
        {
            int n = Encoding.UTF8.GetChars(record, chars);
            if (chars.AsSpan(0, n).IndexOfAny(_literals) < 0) return;
        }
        finally
        {
            System.Buffers.ArrayPool<char>.Shared.Return(chars);
        }
        foreach (var r in Prefiltered)
            if (!into.Contains(r)) into.Add(r);
    }
}
