using System.Numerics;

namespace Moat.Intel;

/// <summary>
/// Sorted, disjoint, inclusive ranges of one address family, each with a payload index. IPv4 is kept as
/// <see cref="uint"/> (half the memory and faster compares than <see cref="UInt128"/>); a lookup is one
/// binary search over <see cref="First"/> and never allocates.
/// </summary>
internal sealed class RangeTable<T>(T[] first, T[] last, int[] payload)
    where T : unmanaged, IBinaryInteger<T>
{
    public static RangeTable<T> Empty { get; } = new([], [], []);

    public T[] First { get; } = first;
    public T[] Last { get; } = last;
    public int[] Payload { get; } = payload;

    public int Count => First.Length;

    /// <summary>The payload of the range holding <paramref name="value"/>, or -1.</summary>
    public int Find(T value)
    {
        // Last range whose first address is at or below the value; it is the only one that can hold it.
        int lo = 0, hi = First.Length - 1, at = -1;
        while (lo <= hi)
        {
            int mid = lo + ((hi - lo) >> 1);
            if (First[mid] <= value) { at = mid; lo = mid + 1; }
            else hi = mid - 1;
        }
        return at >= 0 && value <= Last[at] ? Payload[at] : -1;
    }
}

/// <summary>Growable parallel arrays, cheaper than a list of tuples for a million ranges.</summary>
internal sealed class RangeBuffer<T> where T : unmanaged, IBinaryInteger<T>
{
    private T[] _first = new T[16];
    private T[] _last = new T[16];
    private int[] _payload = new int[16];

    public int Count { get; private set; }

    public Span<T> First => _first.AsSpan(0, Count);
    public Span<T> Last => _last.AsSpan(0, Count);
    public Span<int> Payload => _payload.AsSpan(0, Count);

    public void Add(T first, T last, int payload)
    {
        if (Count == _first.Length)
        {
            int size = Count * 2;
            Array.Resize(ref _first, size);
            Array.Resize(ref _last, size);
            Array.Resize(ref _payload, size);
        }
        _first[Count] = first;
        _last[Count] = last;
        _payload[Count] = payload;
        Count++;
    }

    /// <summary>Extends the last range, for adjacent ranges with the same payload.</summary>
    public void ExtendLast(T last) => _last[Count - 1] = last;

    public RangeTable<T> ToTable() =>
        Count == 0 ? RangeTable<T>.Empty : new(First.ToArray(), Last.ToArray(), Payload.ToArray());
}
