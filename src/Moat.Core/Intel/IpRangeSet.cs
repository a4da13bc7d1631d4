using System.Numerics;
using Moat.Compile;

namespace Moat.Intel;

/// <summary>
/// An immutable set of IPv4 and IPv6 ranges from one or more named lists (threat lists, Tor exits), built once
/// by <see cref="IpRangeSetBuilder"/>. A lookup is a binary search, O(log n) whatever the lists' size, and does
/// not allocate.
/// </summary>
/// <remarks>
/// Ranges from different lists are not merged blindly: the builder cuts the address space at every point where
/// the set of lists holding it changes, and each piece carries that set (interned, so a million ranges of one
/// list share one array). Where a FireHOL list and a Tor list overlap, the overlap answers with both names and
/// the rest with one; a finding can name every list that flagged the caller. Adjacent pieces with the same set
/// are joined, so one list's overlapping and touching entries collapse as a plain merge would. The pieces are at
/// most twice the entries, and usually far fewer.
/// </remarks>
internal sealed class IpRangeSet
{
    private readonly RangeTable<uint> _v4;
    private readonly RangeTable<UInt128> _v6;
    private readonly string[][] _sets;

    internal IpRangeSet(RangeTable<uint> v4, RangeTable<UInt128> v6, string[][] sets, IReadOnlyList<string> listNames)
    {
        _v4 = v4;
        _v6 = v6;
        _sets = sets;
        ListNames = listNames;
    }

    public static IpRangeSet Empty { get; } = new IpRangeSetBuilder().Build();

    /// <summary>Every list added to the builder, in the order added (also lists that ended up empty).</summary>
    public IReadOnlyList<string> ListNames { get; }

    /// <summary>Disjoint ranges held after merging (IPv4 plus IPv6).</summary>
    public int RangeCount => _v4.Count + _v6.Count;

    public bool Contains(IpAddr ip) => Find(ip) >= 0;

    /// <summary>False for text that is not an IP address.</summary>
    public bool Contains(ReadOnlySpan<char> ip) => IpAddr.TryParse(ip, out var a) && Contains(a);

    /// <summary>The names of the lists holding the address, in the order the lists were added; empty if none.</summary>
    public IReadOnlyList<string> ListsContaining(IpAddr ip)
    {
        int set = Find(ip);
        return set >= 0 ? _sets[set] : [];
    }

    /// <summary>As <see cref="ListsContaining(IpAddr)"/>; empty for text that is not an IP address.</summary>
    public IReadOnlyList<string> ListsContaining(ReadOnlySpan<char> ip) =>
        IpAddr.TryParse(ip, out var a) ? ListsContaining(a) : [];

    private int Find(IpAddr ip) => ip.V6 ? _v6.Find(ip.Value) : _v4.Find((uint)ip.Value);
}

/// <summary>Collects ranges list by list, then sorts and merges them once into an <see cref="IpRangeSet"/>.</summary>
internal sealed class IpRangeSetBuilder
{
    private readonly List<string> _names = [];
    private readonly Dictionary<string, int> _ids = new(StringComparer.Ordinal);
    private readonly RangeBuffer<uint> _v4 = new();
    private readonly RangeBuffer<UInt128> _v6 = new();

    /// <summary>Ranges added so far (before merging).</summary>
    public int Entries => _v4.Count + _v6.Count;

    /// <summary>The id of the list with this name; adding the same name twice returns the same list.</summary>
    public int AddList(string name)
    {
        if (_ids.TryGetValue(name, out int id)) return id;
        id = _names.Count;
        _names.Add(name);
        _ids.Add(name, id);
        return id;
    }

    public string ListName(int list) => _names[list];

    public void Add(int list, IpAddr ip) => Add(list, ip.V6, ip.Value, ip.Value);

    public void Add(int list, Cidr cidr) => Add(list, cidr.V6, cidr.First, cidr.Last);

    /// <summary>
    /// Adds an inclusive range. An IPv6 range inside ::ffff:0:0/96 is stored as IPv4, as <see cref="IpAddr"/>
    /// parses such addresses.
    /// </summary>
    public void Add(int list, bool v6, UInt128 first, UInt128 last)
    {
        if ((uint)list >= (uint)_names.Count) throw new ArgumentOutOfRangeException(nameof(list));
        if (first > last) throw new ArgumentException($"range starts after it ends ({first} > {last})");
        if (v6 && IpAddr.IsMapped(first) && IpAddr.IsMapped(last))
        {
            v6 = false;
            first &= uint.MaxValue;
            last &= uint.MaxValue;
        }
        if (v6) _v6.Add(first, last, list);
        else
        {
            if (last > uint.MaxValue) throw new ArgumentException("IPv4 range beyond 255.255.255.255");
            _v4.Add((uint)first, (uint)last, list);
        }
    }

    public IpRangeSet Build()
    {
        var sets = new SetInterner(_names);
        var v4 = Sweep(_v4, sets);
        var v6 = Sweep(_v6, sets);
        return new IpRangeSet(v4, v6, sets.ToArray(), _names.ToArray());
    }

    /// <summary>
    /// Walks the range starts and ends in address order, keeping a count of open ranges per list, and writes a
    /// piece each time the set of open lists changes. Ends are inclusive, so at one address starts are taken
    /// before ends; <c>end + 1</c> is never computed for the family's last address.
    /// </summary>
    private static RangeTable<T> Sweep<T>(RangeBuffer<T> input, SetInterner sets)
        where T : unmanaged, IBinaryInteger<T>
    {
        int n = input.Count;
        if (n == 0) return RangeTable<T>.Empty;
        var starts = input.First.ToArray();
        var startLists = input.Payload.ToArray();
        var ends = input.Last.ToArray();
        var endLists = input.Payload.ToArray();
        Array.Sort(starts, startLists);
        Array.Sort(ends, endLists);

        var output = new RangeBuffer<T>();
        T cur = T.Zero;
        int i = 0, j = 0;
        // Every range ends at or after it starts, so the ends run out last.
        while (j < n)
        {
            if (i < n && starts[i] <= ends[j])
            {
                T at = starts[i];
                if (sets.Open > 0 && cur < at) Emit(output, cur, at - T.One, sets.Current());
                while (i < n && starts[i] == at) sets.Enter(startLists[i++]);
                cur = at;
            }
            else
            {
                // The range ending here started before the next start, so at least one list is open.
                T at = ends[j];
                Emit(output, cur, at, sets.Current());
                while (j < n && ends[j] == at) sets.Leave(endLists[j++]);
                if (j < n) cur = at + T.One; // more ends means `at` is below the family's last address
            }
        }
        return output.ToTable();
    }

    private static void Emit<T>(RangeBuffer<T> output, T first, T last, int set)
        where T : unmanaged, IBinaryInteger<T>
    {
        int n = output.Count;
        if (n > 0 && output.Payload[n - 1] == set && output.Last[n - 1] + T.One == first) output.ExtendLast(last);
        else output.Add(first, last, set);
    }

    /// <summary>
    /// The lists open at the sweep's position, and one id per distinct set. The set is a bit mask; its words,
    /// as chars, are the key of an interning table looked up without allocating.
    /// </summary>
    private sealed class SetInterner(List<string> names)
    {
        private readonly int[] _counts = new int[names.Count];
        private readonly ulong[] _bits = new ulong[(names.Count + 63) / 64];
        private readonly char[] _key = new char[((names.Count + 63) / 64) * 4];
        private readonly Dictionary<string, int> _ids = new(StringComparer.Ordinal);
        private readonly List<string[]> _sets = [];
        private bool _dirty = true;
        private int _current;

        /// <summary>Lists with at least one open range.</summary>
        public int Open { get; private set; }

        public void Enter(int list)
        {
            if (_counts[list]++ > 0) return;
            _bits[list >> 6] |= 1UL << list;
            Open++;
            _dirty = true;
        }

        public void Leave(int list)
        {
            if (--_counts[list] > 0) return;
            _bits[list >> 6] &= ~(1UL << list);
            Open--;
            _dirty = true;
        }

        public int Current()
        {
            if (!_dirty) return _current;
            for (int w = 0; w < _bits.Length; w++)
                for (int k = 0; k < 4; k++) _key[w * 4 + k] = (char)(_bits[w] >> (16 * k));
            var lookup = _ids.GetAlternateLookup<ReadOnlySpan<char>>();
            if (!lookup.TryGetValue(_key, out _current))
            {
                _current = _sets.Count;
                var members = new List<string>();
                for (int list = 0; list < names.Count; list++)
                    if ((_bits[list >> 6] & (1UL << list)) != 0) members.Add(names[list]);
                _sets.Add([.. members]);
                _ids.Add(new string(_key), _current);
            }
            _dirty = false;
            return _current;
        }

        public string[][] ToArray() => [.. _sets];
    }
}
