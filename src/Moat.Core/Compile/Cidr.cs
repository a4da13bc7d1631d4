using System.Net;
using System.Net.Sockets;

namespace Moat.Compile;

/// <summary>
/// An IPv4 or IPv6 block as an inclusive range of 128-bit integers. Host bits are masked off, as AWS does:
/// <c>208.236.235.254/0</c> (an anonymised Stratus Red Team event) is still the whole IPv4 space.
/// </summary>
internal readonly record struct Cidr(bool V6, UInt128 First, UInt128 Last)
{
    public static bool TryParse(ReadOnlySpan<char> text, out Cidr cidr)
    {
        cidr = default;
        text = text.Trim();
        int slash = text.IndexOf('/');
        var addrText = slash >= 0 ? text[..slash] : text;
        if (!IPAddress.TryParse(addrText, out var ip)) return false;
        bool v6 = ip.AddressFamily == AddressFamily.InterNetworkV6;
        // IPAddress also takes inet_aton shorthand ("10" is 0.0.0.10, "010.0.0.1" is octal 8.0.0.1), so "10/8"
        // would silently be 0.0.0.0/8 and a port like "5432" an address. Only dotted decimal is IPv4 here.
        if (!v6 && !IsDottedDecimal(addrText)) return false;
        int bits = v6 ? 128 : 32;
        int prefix = bits;
        if (slash >= 0 && (!IsNumber(text[(slash + 1)..]) || !int.TryParse(text[(slash + 1)..], out prefix) || prefix > bits)) return false;
        Span<byte> bytes = stackalloc byte[16];
        ip.TryWriteBytes(bytes, out int written);
        UInt128 value = 0;
        for (int i = 0; i < written; i++) value = (value << 8) | bytes[i];
        int hostBits = bits - prefix;
        UInt128 hostMask = hostBits == 128 ? UInt128.MaxValue : (((UInt128)1 << hostBits) - 1);
        UInt128 first = value & ~hostMask;
        cidr = new Cidr(v6, first, first | hostMask);
        return true;
    }

    /// <summary>Four decimal parts without leading zeros (the range check is IPAddress's).</summary>
    private static bool IsDottedDecimal(ReadOnlySpan<char> text)
    {
        int parts = 0;
        foreach (var range in text.Split('.'))
        {
            var part = text[range];
            if (!IsNumber(part) || (part.Length > 1 && part[0] == '0')) return false;
            parts++;
        }
        return parts == 4;
    }

    private static bool IsNumber(ReadOnlySpan<char> text) => text.Length is > 0 and <= 3 && !text.ContainsAnyExceptInRange('0', '9');

    public static UInt128 MaxOf(bool v6) => v6 ? UInt128.MaxValue : uint.MaxValue;

    public bool Contains(Cidr other) => V6 == other.V6 && First <= other.First && other.Last <= Last;

    /// <summary>Does the union of the blocks cover one whole address family (all of IPv4 or all of IPv6)?</summary>
    public static bool UnionCoversAFamily(List<Cidr> blocks)
    {
        return Covers(blocks, false) || Covers(blocks, true);

        static bool Covers(List<Cidr> blocks, bool v6)
        {
            var ranges = new List<Cidr>();
            foreach (var b in blocks) if (b.V6 == v6) ranges.Add(b);
            if (ranges.Count == 0) return false;
            ranges.Sort((a, b) => a.First.CompareTo(b.First));
            UInt128 next = 0; // first address not yet covered
            foreach (var r in ranges)
            {
                if (r.First > next) return false;
                if (r.Last >= next)
                {
                    if (r.Last == MaxOf(v6)) return true;
                    next = r.Last + 1;
                }
            }
            return false;
        }
    }
}
