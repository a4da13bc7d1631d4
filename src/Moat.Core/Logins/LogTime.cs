namespace Moat.Logins;

/// <summary>
/// Timestamps as database logs write them, read from spans without allocating. Parsing goes digit by digit:
/// every log line carries one, and <see cref="DateTime.TryParseExact(string, string, IFormatProvider, System.Globalization.DateTimeStyles, out DateTime)"/>
/// costs more than the rest of the line.
/// </summary>
internal static class LogTime
{
    /// <summary>
    /// PostgreSQL's <c>%t</c> (<c>2024-08-03 14:44:05 UTC</c>) and <c>%m</c> (<c>2024-08-03 14:44:05.123 UTC</c>),
    /// or <c>%n</c> (<c>1722696245.123</c>, Unix seconds). Returns how many characters were read, 0 if none.
    /// <paramref name="badZone"/> is set when the clock part is fine but the zone is one this reader does not know.
    /// </summary>
    internal static int ParsePostgres(ReadOnlySpan<char> s, out DateTimeOffset time, out bool badZone)
    {
        badZone = false;
        time = default;
        int n = ParseSqlDateTime(s, out var clock);
        if (n == 0) return ParseEpochSeconds(s, out time);
        if (n >= s.Length || s[n] != ' ') return 0;
        int z = ParseZone(s[(n + 1)..], out var offset, out bool known);
        if (z == 0) return 0;
        if (!known)
        {
            badZone = true;
            return 0;
        }
        time = new DateTimeOffset(clock, offset);
        return n + 1 + z;
    }

    /// <summary><c>YYYY-MM-DD HH:MM:SS</c> with an optional fraction of up to 7 digits. Returns the length read, 0 if none.</summary>
    internal static int ParseSqlDateTime(ReadOnlySpan<char> s, out DateTime value)
    {
        value = default;
        if (s.Length < 19 || s[4] != '-' || s[7] != '-' || s[10] != ' ' || s[13] != ':' || s[16] != ':') return 0;
        if (!Digits(s, 0, 4, out int year) || !Digits(s, 5, 2, out int month) || !Digits(s, 8, 2, out int day)
            || !Digits(s, 11, 2, out int hour) || !Digits(s, 14, 2, out int minute) || !Digits(s, 17, 2, out int second)) return 0;
        int n = 19;
        long ticks = 0;
        if (n < s.Length && s[n] == '.')
        {
            int f = n + 1;
            long scale = TimeSpan.TicksPerSecond;
            while (f < s.Length && char.IsAsciiDigit(s[f]))
            {
                if (f - n > 7) return 0;
                scale /= 10;
                ticks += (s[f] - '0') * scale;
                f++;
            }
            if (f == n + 1) return 0;
            n = f;
        }
        if (!Build(year, month, day, hour, minute, second, out value)) return 0;
        value = value.AddTicks(ticks);
        return n;
    }

    /// <summary>MariaDB audit plugin: <c>20201130 23:08:44</c>. Written in the server's zone; RDS runs in UTC.</summary>
    internal static bool TryParseCompact(ReadOnlySpan<char> s, out DateTimeOffset time)
    {
        time = default;
        if (s.Length != 17 || s[8] != ' ' || s[11] != ':' || s[14] != ':') return false;
        if (!Digits(s, 0, 4, out int year) || !Digits(s, 4, 2, out int month) || !Digits(s, 6, 2, out int day)
            || !Digits(s, 9, 2, out int hour) || !Digits(s, 12, 2, out int minute) || !Digits(s, 15, 2, out int second)) return false;
        if (!Build(year, month, day, hour, minute, second, out var clock)) return false;
        time = new DateTimeOffset(clock, TimeSpan.Zero);
        return true;
    }

    /// <summary>Aurora MySQL advanced auditing: Unix epoch in microseconds (<c>1728498527380921</c>).</summary>
    internal static bool TryParseEpochMicros(ReadOnlySpan<char> s, out DateTimeOffset time)
    {
        time = default;
        // 13 to 17 digits: 1973 to 5138 in microseconds; anything else is not this field.
        if (s.Length < 13 || s.Length > 17) return false;
        long micros = 0;
        foreach (char c in s)
        {
            if (!char.IsAsciiDigit(c)) return false;
            micros = micros * 10 + (c - '0');
        }
        time = DateTimeOffset.UnixEpoch.AddTicks(micros * 10);
        return true;
    }

    /// <summary>
    /// The timestamp CloudWatch Logs puts before each event in an export to S3:
    /// <c>2024-08-03T14:44:05.000Z </c> (with its trailing space). Returns the length, 0 if the line has none.
    /// </summary>
    internal static int ExportPrefixLength(ReadOnlySpan<char> s)
    {
        if (s.Length < 21 || s[4] != '-' || s[7] != '-' || s[10] != 'T' || s[13] != ':' || s[16] != ':') return 0;
        for (int i = 0; i < 19; i++)
        {
            if (i is 4 or 7 or 10 or 13 or 16) continue;
            if (!char.IsAsciiDigit(s[i])) return 0;
        }
        int n = 19;
        if (s[n] == '.')
        {
            n++;
            while (n < s.Length && char.IsAsciiDigit(s[n])) n++;
        }
        if (n >= s.Length || s[n] != 'Z') return 0;
        n++;
        if (n < s.Length && s[n] == ' ') return n + 1;
        return 0;
    }

    /// <summary>PostgreSQL <c>%n</c>: <c>1722696245.123</c>.</summary>
    private static int ParseEpochSeconds(ReadOnlySpan<char> s, out DateTimeOffset time)
    {
        time = default;
        int i = 0;
        long seconds = 0;
        while (i < s.Length && char.IsAsciiDigit(s[i]) && i < 11) seconds = seconds * 10 + (s[i++] - '0');
        if (i < 9 || i >= s.Length || s[i] != '.') return 0;
        int f = ++i;
        long ms = 0;
        while (i < s.Length && char.IsAsciiDigit(s[i]) && i - f < 3) ms = ms * 10 + (s[i++] - '0');
        if (i - f != 3) return 0;
        time = DateTimeOffset.FromUnixTimeSeconds(seconds).AddMilliseconds(ms);
        return i;
    }

    /// <summary>
    /// A zone as PostgreSQL prints <c>%Z</c>: an abbreviation from the tz database (<c>UTC</c>, <c>CEST</c>), or a
    /// numeric one where the zone has none (<c>-04</c>, <c>+0545</c>). Abbreviations are ambiguous by nature;
    /// the table takes the reading most servers mean (<c>IST</c> = India, <c>CST</c> = US Central) and anything
    /// else is reported, not guessed. RDS always logs in UTC.
    /// </summary>
    internal static int ParseZone(ReadOnlySpan<char> s, out TimeSpan offset, out bool known)
    {
        offset = default;
        known = false;
        int n = 0;
        while (n < s.Length && (char.IsAsciiLetterOrDigit(s[n]) || s[n] is '+' or '-')) n++;
        if (n == 0) return 0;
        var zone = s[..n];
        if (zone[0] is '+' or '-')
        {
            int sign = zone[0] == '-' ? -1 : 1;
            var digits = zone[1..];
            if (digits.Length is 2 or 4 && Digits(digits, 0, 2, out int h) && h <= 14)
            {
                int m = 0;
                if (digits.Length == 4 && (!Digits(digits, 2, 2, out m) || m >= 60)) return n;
                offset = sign * new TimeSpan(h, m, 0);
                known = true;
            }
            return n;
        }
        int minutes = zone switch
        {
            "UTC" or "GMT" or "UT" or "Z" or "WET" => 0,
            "BST" or "CET" or "MET" or "WEST" or "WAT" => 60,
            "CEST" or "MEST" or "EET" or "SAST" or "CAT" => 120,
            "EEST" or "MSK" or "EAT" => 180,
            "PKT" => 300,
            "IST" => 330,
            "WIB" => 420,
            "HKT" or "AWST" or "PHT" => 480,
            "JST" or "KST" => 540,
            "ACST" => 570,
            "AEST" or "ChST" => 600,
            "ACDT" => 630,
            "AEDT" => 660,
            "NZST" => 720,
            "NZDT" => 780,
            "NST" => -210,
            "NDT" => -150,
            "ADT" => -180,
            "AST" or "EDT" => -240,
            "EST" or "CDT" => -300,
            "CST" or "MDT" => -360,
            "MST" or "PDT" => -420,
            "PST" or "AKDT" => -480,
            "AKST" => -540,
            "HST" => -600,
            _ => int.MinValue,
        };
        if (minutes == int.MinValue) return n;
        offset = TimeSpan.FromMinutes(minutes);
        known = true;
        return n;
    }

    private static bool Build(int year, int month, int day, int hour, int minute, int second, out DateTime value)
    {
        value = default;
        if (year < 1 || month is < 1 or > 12 || day < 1 || day > DateTime.DaysInMonth(year, month)
            || hour > 23 || minute > 59 || second > 60) return false;
        // A leap second (23:59:60) is kept in its minute rather than rejected.
        value = new DateTime(year, month, day, hour, minute, Math.Min(second, 59), DateTimeKind.Unspecified);
        return true;
    }

    private static bool Digits(ReadOnlySpan<char> s, int at, int count, out int value)
    {
        value = 0;
        for (int i = at; i < at + count; i++)
        {
            char c = s[i];
            if (!char.IsAsciiDigit(c)) return false;
            value = value * 10 + (c - '0');
        }
        return true;
    }
}
