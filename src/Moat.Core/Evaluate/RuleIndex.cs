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
        var buckets = new Dictionary<string, List<Entry>>(StringComparer.Ordinal);
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
        _byName = buckets.ToDictionary(kv => kv.Key, kv => kv.Value.ToArray(), StringComparer.Ordinal);
        _lookup = _byName.GetAlternateLookup<ReadOnlySpan<char>>();
        Unindexed = [.. unindexed];
    }

    public IReadOnlyList<CompiledRule> Rules { get; }

    /// <summary>Rules that do not pin eventName: every event visits them.</summary>
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
                        if (source.SequenceEqual(s)) { into.Add(e.Rule); break; }
                }
            }
        }
        into.AddRange(Unindexed);
    }
}
