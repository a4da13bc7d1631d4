namespace Moat.Logins;

/// <summary>PostgreSQL's message severities, as the word before <c>:  </c>.</summary>
internal enum PgSeverity : byte
{
    None,
    Log,
    Fatal,
    Panic,
    Error,
    Warning,
    Notice,
    Info,
    Debug,
    Detail,
    Hint,
    Context,
    Statement,
    Query,
    Location,
}

/// <summary>
/// Where the parts of one PostgreSQL log line are: offsets into the line, so matching allocates nothing.
/// A length of -1 means the line's prefix does not carry that part.
/// </summary>
internal struct PgLine
{
    public DateTimeOffset Time;
    public int Pid;
    public int HostStart, HostLength;
    public int Port;
    public int UserStart, UserLength;
    public int DbStart, DbLength;
    public int AppStart, AppLength;
    public PgSeverity Severity;
    public int MessageStart;

    public void Reset()
    {
        HostStart = UserStart = DbStart = AppStart = 0;
        HostLength = UserLength = DbLength = AppLength = -1;
        Port = -1;
        Pid = 0;
        Severity = PgSeverity.None;
        MessageStart = 0;
    }
}

/// <summary>
/// One <c>log_line_prefix</c>, compiled into parts and matched against lines left to right. Each field runs
/// up to the literal that follows it in the pattern, except the ones with a shape of their own: timestamps,
/// the pid, and <c>%r</c>, whose IPv6 hosts contain the <c>:</c> that separates the RDS prefix
/// (<c>2024-08-03 14:44:05 UTC:::1(33670):app@appdb:[25170]:LOG:  ...</c>).
/// </summary>
internal sealed class PostgresLinePrefix
{
    private enum Part : byte
    {
        Literal,
        Time,
        Pid,
        RemoteHostPort,
        Host,
        User,
        Database,
        Application,
        Other,
        SessionOnly,
    }

    /// <summary>
    /// The prefixes tried in order: RDS and Aurora's default first, then Debian's, pgBadger's recommended ones
    /// and PostgreSQL's own default. <c>%t</c> and <c>%m</c> are read alike (the milliseconds are optional).
    /// Lines matching none go to <see cref="TryMatchLoose"/>.
    /// </summary>
    internal static readonly PostgresLinePrefix[] Known =
    [
        new("%t:%r:%u@%d:[%p]:"),
        new("%m [%p] %q%u@%d "),
        new("%t [%p-%l] %q%u@%d "),
        new("%t [%p]: [%l-1] user=%u,db=%d,app=%a,client=%h "),
        new("%t [%p]: user=%u,db=%d,app=%a,client=%h "),
        new("%t [%p]: [%l-1] "),
        new("%m [%p] "),
    ];

    private readonly Part[] _parts;
    private readonly string[] _text; // the literal for Literal parts; for fields, the literal that ends them ("" = none)
    private readonly int _sessionOnlyAt;

    internal string Pattern { get; }

    private PostgresLinePrefix(string pattern)
    {
        Pattern = pattern;
        var parts = new List<Part>();
        var text = new List<string>();
        var literal = new System.Text.StringBuilder();
        _sessionOnlyAt = -1;
        for (int i = 0; i < pattern.Length; i++)
        {
            char c = pattern[i];
            if (c != '%' || i + 1 == pattern.Length)
            {
                literal.Append(c);
                continue;
            }
            char code = pattern[++i];
            if (code == '%')
            {
                literal.Append('%');
                continue;
            }
            if (literal.Length > 0)
            {
                parts.Add(Part.Literal);
                text.Add(literal.ToString());
                literal.Clear();
            }
            var part = code switch
            {
                't' or 'm' or 'n' => Part.Time,
                'p' => Part.Pid,
                'r' => Part.RemoteHostPort,
                'h' => Part.Host,
                'u' => Part.User,
                'd' => Part.Database,
                'a' => Part.Application,
                'q' => Part.SessionOnly,
                _ => Part.Other,
            };
            if (part == Part.SessionOnly) _sessionOnlyAt = parts.Count;
            parts.Add(part);
            text.Add("");
        }
        if (literal.Length > 0)
        {
            parts.Add(Part.Literal);
            text.Add(literal.ToString());
        }
        for (int i = 0; i + 1 < parts.Count; i++)
        {
            if (parts[i] != Part.Literal && parts[i + 1] == Part.Literal) text[i] = text[i + 1];
        }
        _parts = [.. parts];
        _text = [.. text];
    }

    /// <summary>
    /// Matches the prefix and the severity after it. With <c>%q</c>, lines of processes without a session
    /// (the postmaster, the checkpointer) stop there: <c>2024-08-03 14:44:05.123 UTC [3000] LOG:  ...</c>.
    /// </summary>
    internal bool TryMatch(ReadOnlySpan<char> line, ref PgLine f, ref bool badZone)
    {
        if (Match(line, _parts.Length, ref f, ref badZone)) return true;
        return _sessionOnlyAt >= 0 && Match(line, _sessionOnlyAt, ref f, ref badZone);
    }

    private bool Match(ReadOnlySpan<char> line, int count, ref PgLine f, ref bool badZone)
    {
        f.Reset();
        bool hasTime = false, hasPid = false;
        int pos = 0;
        for (int i = 0; i < count; i++)
        {
            var rest = line[pos..];
            switch (_parts[i])
            {
                case Part.Literal:
                    if (!rest.StartsWith(_text[i], StringComparison.Ordinal)) return false;
                    pos += _text[i].Length;
                    break;
                case Part.Time:
                    {
                        int n = LogTime.ParsePostgres(rest, out f.Time, out bool zone);
                        if (n == 0)
                        {
                            badZone |= zone;
                            return false;
                        }
                        pos += n;
                        hasTime = true;
                        break;
                    }
                case Part.Pid:
                    {
                        int n = ReadPid(rest, out f.Pid);
                        if (n == 0) return false;
                        pos += n;
                        hasPid = true;
                        break;
                    }
                case Part.RemoteHostPort:
                    pos += ReadRemote(rest, pos, ref f);
                    break;
                case Part.SessionOnly:
                    break;
                default:
                    {
                        int n;
                        if (_parts[i] == Part.Host && rest.StartsWith("[local]", StringComparison.Ordinal)) n = 7;
                        else
                        {
                            n = _text[i].Length == 0 ? rest.IndexOf(' ') : rest.IndexOf(_text[i], StringComparison.Ordinal);
                            if (n < 0) return false;
                        }
                        switch (_parts[i])
                        {
                            case Part.Host: f.HostStart = pos; f.HostLength = n; break;
                            case Part.User: f.UserStart = pos; f.UserLength = n; break;
                            case Part.Database: f.DbStart = pos; f.DbLength = n; break;
                            case Part.Application: f.AppStart = pos; f.AppLength = n; break;
                        }
                        pos += n;
                        break;
                    }
            }
        }
        return hasTime && hasPid && TryReadSeverity(line, pos, ref f);
    }

    /// <summary>
    /// For a <c>log_line_prefix</c> not in <see cref="Known"/>: a timestamp at the start of the line, the first
    /// <c>[pid]</c> (or <c>[pid-line]</c>) before the severity, and the severity. Host, user and database then come
    /// from the messages themselves, which carry them for every login line that matters.
    /// </summary>
    internal static bool TryMatchLoose(ReadOnlySpan<char> line, ref PgLine f, ref bool badZone)
    {
        f.Reset();
        int start = LogTime.ParsePostgres(line, out f.Time, out bool zone);
        if (start == 0)
        {
            badZone |= zone;
            return false;
        }
        int from = start;
        while (true)
        {
            int colon = line[from..].IndexOf(": ", StringComparison.Ordinal);
            if (colon < 0) return false;
            colon += from;
            int word = colon;
            while (word > start && (char.IsAsciiLetterUpper(line[word - 1]) || char.IsAsciiDigit(line[word - 1]))) word--;
            if (word < colon && (word == start || !char.IsAsciiLetterOrDigit(line[word - 1])) && TryReadSeverity(line, word, ref f))
                return FindPid(line[start..word], out f.Pid);
            from = colon + 1;
            // A prefix is short; a colon this far in is message text, not a severity.
            if (from - start > 256) return false;
        }
    }

    private static bool FindPid(ReadOnlySpan<char> prefix, out int pid)
    {
        pid = 0;
        for (int i = prefix.IndexOf('['); i >= 0 && i < prefix.Length; )
        {
            int n = ReadPid(prefix[(i + 1)..], out pid);
            if (n > 0 && i + 1 + n < prefix.Length && prefix[i + 1 + n] is ']' or '-') return true;
            int next = prefix[(i + 1)..].IndexOf('[');
            if (next < 0) return false;
            i += 1 + next;
        }
        return false;
    }

    /// <summary><c>LOG:  </c>, <c>FATAL:  </c>...; with <c>log_error_verbosity = verbose</c> the SQLSTATE follows (<c>LOG:  00000: connection ...</c>).</summary>
    internal static bool TryReadSeverity(ReadOnlySpan<char> line, int at, ref PgLine f)
    {
        int i = at;
        while (i < line.Length && i - at < 10 && (char.IsAsciiLetterUpper(line[i]) || char.IsAsciiDigit(line[i]))) i++;
        if (i == at || i >= line.Length || line[i] != ':') return false;
        var sev = Classify(line[at..i]);
        if (sev == PgSeverity.None) return false;
        i++;
        if (i < line.Length && line[i] != ' ') return false;
        while (i < line.Length && line[i] == ' ') i++;
        if (i + 7 <= line.Length && line[i + 5] == ':' && line[i + 6] == ' ' && IsSqlState(line.Slice(i, 5))) i += 7;
        f.Severity = sev;
        f.MessageStart = i;
        return true;
    }

    private static bool IsSqlState(ReadOnlySpan<char> s)
    {
        foreach (char c in s)
        {
            if (!char.IsAsciiDigit(c) && !char.IsAsciiLetterUpper(c)) return false;
        }
        return true;
    }

    private static PgSeverity Classify(ReadOnlySpan<char> word) => word switch
    {
        "LOG" => PgSeverity.Log,
        "FATAL" => PgSeverity.Fatal,
        "DETAIL" => PgSeverity.Detail,
        "ERROR" => PgSeverity.Error,
        "STATEMENT" => PgSeverity.Statement,
        "HINT" => PgSeverity.Hint,
        "WARNING" => PgSeverity.Warning,
        "CONTEXT" => PgSeverity.Context,
        "NOTICE" => PgSeverity.Notice,
        "INFO" => PgSeverity.Info,
        "QUERY" => PgSeverity.Query,
        "LOCATION" => PgSeverity.Location,
        "PANIC" => PgSeverity.Panic,
        "DEBUG" or "DEBUG1" or "DEBUG2" or "DEBUG3" or "DEBUG4" or "DEBUG5" => PgSeverity.Debug,
        _ => PgSeverity.None,
    };

    /// <summary>
    /// <c>%r</c>: <c>host(port)</c>, <c>[local]</c>, or nothing at all for processes without a client
    /// (<c>2024-08-03 14:44:05 UTC::@:[3000]:LOG:  checkpoint starting</c>). Returns the length read.
    /// </summary>
    private static int ReadRemote(ReadOnlySpan<char> rest, int pos, ref PgLine f)
    {
        if (rest.StartsWith("[local]", StringComparison.Ordinal))
        {
            f.HostStart = pos;
            f.HostLength = 7;
            return 7;
        }
        int n = 0;
        while (n < rest.Length && IsHostChar(rest[n])) n++;
        if (n == 0 || n >= rest.Length || rest[n] != '(') return 0;
        int digits = ReadPid(rest[(n + 1)..], out int port);
        if (digits == 0 || n + 1 + digits >= rest.Length || rest[n + 1 + digits] != ')' || port > 65535) return 0;
        f.HostStart = pos;
        f.HostLength = n;
        f.Port = port;
        return n + digits + 2;
    }

    private static bool IsHostChar(char c) => char.IsAsciiLetterOrDigit(c) || c is '.' or ':' or '-' or '_' or '%';

    /// <summary>Up to 10 digits as a non-negative int; returns how many were read (0 if none or too large).</summary>
    internal static int ReadPid(ReadOnlySpan<char> s, out int value)
    {
        value = 0;
        long v = 0;
        int i = 0;
        while (i < s.Length && i < 10 && char.IsAsciiDigit(s[i])) v = v * 10 + (s[i++] - '0');
        if (i == 0 || v > int.MaxValue || (i < s.Length && char.IsAsciiDigit(s[i]))) return 0;
        value = (int)v;
        return i;
    }
}
