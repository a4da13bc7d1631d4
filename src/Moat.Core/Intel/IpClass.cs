namespace Moat.Intel;

/// <summary>
/// Tells addresses that can reach a database from the internet from those that cannot. GuardDuty rates a login
/// from a private address lower, and threat lists must not hold these blocks: FireHOL level1 carries the
/// fullbogons (0.0.0.0/8, 10.0.0.0/8, 127.0.0.0/8...), which would flag every client inside a VPC.
/// </summary>
/// <remarks>
/// "Private" here means "not a public internet source": RFC 1918, loopback, link-local, carrier-grade NAT,
/// 0.0.0.0/8, multicast and 240.0.0.0/4 for IPv4; ::, ::1, unique local fc00::/7, link-local fe80::/10 and
/// multicast for IPv6. The documentation ranges (192.0.2.0/24, 198.51.100.0/24, 203.0.113.0/24, 2001:db8::/32)
/// are deliberately public: examples and tests use them as stand-ins for internet callers, and a finding for
/// 203.0.113.9 must read like one for a real attacker's address.
/// </remarks>
internal static class IpClass
{
    /// <summary>A block that is not public address space, with the reason given in warnings.</summary>
    internal readonly record struct Block(bool V6, UInt128 First, UInt128 Last, string Reason);

    private static readonly Block[] V4Blocks =
    [
        B("0.0.0.0/8", "this-network (0.0.0.0/8)"),
        B("10.0.0.0/8", "private (RFC 1918)"),
        B("100.64.0.0/10", "carrier-grade NAT (100.64.0.0/10)"),
        B("127.0.0.0/8", "loopback"),
        B("169.254.0.0/16", "link-local"),
        B("172.16.0.0/12", "private (RFC 1918)"),
        B("192.168.0.0/16", "private (RFC 1918)"),
        B("224.0.0.0/4", "multicast"),
        B("240.0.0.0/4", "reserved (240.0.0.0/4)"),
    ];

    private static readonly Block[] V6Blocks =
    [
        B("::/128", "unspecified (::)"),
        B("::1/128", "loopback"),
        B("fc00::/7", "unique local (fc00::/7)"),
        B("fe80::/10", "link-local"),
        B("ff00::/8", "multicast"),
    ];

    /// <summary>The non-public blocks of one family, sorted and disjoint.</summary>
    internal static ReadOnlySpan<Block> Blocks(bool v6) => v6 ? V6Blocks : V4Blocks;

    public static bool IsPrivate(IpAddr ip) => NonPublicReason(ip) is not null;

    /// <summary>False for text that is not an address (<c>[local]</c>, a host name): it is neither.</summary>
    public static bool IsPrivate(ReadOnlySpan<char> ip) => IpAddr.TryParse(ip, out var a) && IsPrivate(a);

    public static bool IsPublic(IpAddr ip) => !IsPrivate(ip);

    /// <summary>False for text that is not an address.</summary>
    public static bool IsPublic(ReadOnlySpan<char> ip) => IpAddr.TryParse(ip, out var a) && IsPublic(a);

    /// <summary>Why the address is not public (<c>"private (RFC 1918)"</c>, <c>"loopback"</c>...), or null.</summary>
    public static string? NonPublicReason(IpAddr ip)
    {
        foreach (ref readonly var b in Blocks(ip.V6))
            if (b.First <= ip.Value && ip.Value <= b.Last) return b.Reason;
        return null;
    }

    /// <summary>
    /// Splits a range around the non-public blocks. Returns the reason of the first block it touches, or null
    /// when it touches none (then <paramref name="publicParts"/> is left alone and the range is wholly public).
    /// An empty <paramref name="publicParts"/> after a non-null return means the range is not public at all.
    /// </summary>
    internal static string? Carve(bool v6, UInt128 first, UInt128 last, List<(UInt128 First, UInt128 Last)> publicParts)
    {
        string? reason = null;
        UInt128 cursor = first;
        foreach (ref readonly var b in Blocks(v6))
        {
            if (b.Last < cursor || b.First > last) continue;
            reason ??= b.Reason;
            if (b.First > cursor) publicParts.Add((cursor, b.First - 1));
            if (b.Last >= last) return reason;
            cursor = b.Last + 1;
        }
        if (reason is not null) publicParts.Add((cursor, last));
        return reason;
    }

    private static Block B(string cidr, string reason)
    {
        if (!Moat.Compile.Cidr.TryParse(cidr, out var c)) throw new InvalidOperationException(cidr);
        return new Block(c.V6, c.First, c.Last, reason);
    }
}
