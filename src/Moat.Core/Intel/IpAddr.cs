using System.Globalization;
using System.Text;

namespace Moat.Intel;

/// <summary>
/// An IPv4 or IPv6 address as one 128-bit number (IPv4 in the low 32 bits), the same numbering as
/// <see cref="Moat.Compile.Cidr"/>. Parsed without allocating, because every login event's source address is
/// looked up in several lists: <see cref="System.Net.IPAddress.TryParse(ReadOnlySpan{char}, out System.Net.IPAddress?)"/>
/// would create an object per lookup.
/// </summary>
/// <remarks>
/// IPv4-mapped IPv6 addresses (<c>::ffff:203.0.113.7</c>) become plain IPv4: PostgreSQL listening on an IPv6
/// socket logs IPv4 clients that way, and lists and ASN ranges hold them as IPv4.
/// </remarks>
internal readonly record struct IpAddr(bool V6, UInt128 Value)
{
    public static IpAddr V4(uint value) => new(false, value);

    public static IpAddr Parse(string text) =>
        TryParse(text, out var ip) ? ip : throw new FormatException($"not an IP address: {text}");

    /// <summary>
    /// Dotted-decimal IPv4 (four parts, no leading zeros, as <see cref="Moat.Compile.Cidr"/> requires) or IPv6
    /// (with <c>::</c>, a trailing dotted IPv4 part and an optional <c>%zone</c>, which is ignored).
    /// Surrounding whitespace is allowed.
    /// </summary>
    public static bool TryParse(ReadOnlySpan<char> text, out IpAddr ip)
    {
        text = text.Trim();
        ip = default;
        if (text.IsEmpty) return false;
        if (text.Contains(':'))
        {
            if (!TryParseV6(text, out var v6)) return false;
            ip = IsMapped(v6) ? new IpAddr(false, v6 & uint.MaxValue) : new IpAddr(true, v6);
            return true;
        }
        if (!TryParseV4(text, out uint v4)) return false;
        ip = V4(v4);
        return true;
    }

    private static bool TryParseV4(ReadOnlySpan<char> text, out uint value)
    {
        value = 0;
        int parts = 0;
        int i = 0;
        while (true)
        {
            int start = i;
            uint part = 0;
            while (i < text.Length && (uint)(text[i] - '0') <= 9)
            {
                part = part * 10 + (uint)(text[i] - '0');
                i++;
                if (i - start > 3) return false;
            }
            int digits = i - start;
            if (digits == 0 || part > 255 || (digits > 1 && text[start] == '0')) return false;
            value = (value << 8) | part;
            parts++;
            if (i == text.Length) return parts == 4;
            if (text[i] != '.' || parts == 4) return false;
            i++;
        }
    }

    private static bool TryParseV6(ReadOnlySpan<char> text, out UInt128 value)
    {
        value = 0;
        int zone = text.IndexOf('%');
        if (zone >= 0) text = text[..zone];
        Span<ushort> groups = stackalloc ushort[8];
        int count = 0;
        int gap = -1; // group index where "::" stands
        int i = 0;
        if (text.StartsWith("::"))
        {
            gap = 0;
            i = 2;
            if (i == text.Length) return Assemble(groups, count, gap, out value);
        }
        else if (text.StartsWith(":")) return false;
        while (true)
        {
            int start = i;
            uint group = 0;
            while (i < text.Length && i - start < 5 && IsHex(text[i], out int digit))
            {
                group = (group << 4) | (uint)digit;
                i++;
            }
            if (i < text.Length && text[i] == '.')
            {
                // A trailing dotted IPv4 part stands for the last two groups (::ffff:192.0.2.1).
                if (count > 6 || !TryParseV4(text[start..], out uint v4)) return false;
                groups[count++] = (ushort)(v4 >> 16);
                groups[count++] = (ushort)v4;
                return Assemble(groups, count, gap, out value);
            }
            int digits = i - start;
            if (digits is 0 or > 4 || count == 8) return false;
            groups[count++] = (ushort)group;
            if (i == text.Length) return Assemble(groups, count, gap, out value);
            if (text[i] != ':') return false;
            i++;
            if (i < text.Length && text[i] == ':')
            {
                if (gap >= 0) return false;
                gap = count;
                i++;
                if (i == text.Length) return Assemble(groups, count, gap, out value);
            }
            else if (i == text.Length) return false; // "1::2:" ends in a lone colon
        }
    }

    private static bool Assemble(Span<ushort> groups, int count, int gap, out UInt128 value)
    {
        value = 0;
        if (gap < 0 ? count != 8 : count > 7) return false;
        int missing = 8 - count;
        for (int g = 0; g < count; g++)
        {
            if (g == gap) value <<= 16 * missing;
            value = (value << 16) | groups[g];
        }
        if (gap == count) value <<= 16 * missing;
        return true;
    }

    private static bool IsHex(char c, out int digit)
    {
        digit = c switch
        {
            >= '0' and <= '9' => c - '0',
            >= 'a' and <= 'f' => c - 'a' + 10,
            >= 'A' and <= 'F' => c - 'A' + 10,
            _ => -1,
        };
        return digit >= 0;
    }

    /// <summary>Is this IPv6 number an IPv4-mapped address (<c>::ffff:a.b.c.d</c>, the block ::ffff:0:0/96)?</summary>
    public static bool IsMapped(UInt128 v6) => (v6 >> 32) == 0xFFFF;

    public override string ToString()
    {
        if (!V6)
        {
            uint v = (uint)Value;
            return string.Create(CultureInfo.InvariantCulture, $"{v >> 24}.{(v >> 16) & 0xFF}.{(v >> 8) & 0xFF}.{v & 0xFF}");
        }
        Span<byte> bytes = stackalloc byte[16];
        for (int i = 0; i < 16; i++) bytes[i] = (byte)(Value >> (8 * (15 - i)));
        return new System.Net.IPAddress(bytes).ToString();
    }
}
