using System.Globalization;
using Moat.Read;

namespace Moat.Logins;

/// <summary>
/// Reads the MySQL-family audit logs into login attempts. Two layouts of the same ten fields,
/// <c>timestamp,serverhost,username,host,connectionid,queryid,operation,database,object,retcode</c>:
/// <list type="bullet">
/// <item>Aurora MySQL advanced auditing, the time in Unix microseconds:
/// <c>1728498527380921,auora-mysql-node1,user_1,172.31.49.222,147189,0,FAILED_CONNECT,,,1045</c></item>
/// <item>the MariaDB audit plugin (RDS for MySQL and MariaDB):
/// <c>20201130 23:08:44,localhost.localdomain,root,localhost,2,0,FAILED_CONNECT,,,1045</c>, on RDS with an
/// eleventh field, <c>connection_type</c> (<c>TCP/IP</c>, <c>Socket</c>, <c>SSL/TLS</c>...), and from MariaDB 12
/// with the client's port in the host field (<c>10.0.3.14:50432</c>).</item>
/// </list>
/// Every CONNECT / FAILED_CONNECT / CHANGEUSER row is a whole login attempt, so rows need no joining and may
/// come in any order (Aurora's do not come in time order). The audit log has no trace of a connection that
/// never tried to log in, so this parser reports no incomplete logins.
/// </summary>
public sealed class MySqlAuditParser : LoginLogParserBase
{
    private readonly string _source;
    private readonly string _database;
    private readonly string? _cluster;
    private bool _inQuote;        // a query's quoted text ran past the end of its line
    private bool _hostsCarryPort; // a host:port was seen, so a trailing :digits on IPv6 is a port too
    private long _errorsOmitted;

    public MySqlAuditParser(string source, string database, string? cluster)
    {
        _source = source;
        _database = database;
        _cluster = cluster;
    }

    public override LogKind Kind => LogKind.MySqlAudit;

    public override void Feed(ReadOnlySpan<char> line, long lineNumber)
    {
        LinesRead++;
        if (!line.IsEmpty && line[^1] == '\r') line = line[..^1];
        if (_inQuote)
        {
            // The rest of a query that held a raw line break: 'SELECT 1\nFROM t',0 — nothing about logins.
            if (ClosingQuote(line) >= 0) _inQuote = false;
            LinesIgnored++;
            return;
        }
        if (line.IsEmpty)
        {
            LinesIgnored++;
            return;
        }
        var rest = line;
        NextField(ref rest, out var stamp);
        bool aurora;
        DateTimeOffset time;
        if (LogTime.TryParseEpochMicros(stamp, out time)) aurora = true;
        else if (LogTime.TryParseCompact(stamp, out time)) aurora = false;
        else
        {
            Malformed(lineNumber, "not a MySQL audit line: the first field is neither Unix microseconds nor YYYYMMDD HH:MM:SS", line);
            return;
        }
        if (!NextField(ref rest, out var serverHost) || !NextField(ref rest, out var user) || !NextField(ref rest, out var host)
            || !NextField(ref rest, out var connection) || !NextField(ref rest, out _) || !NextField(ref rest, out var operation))
        {
            Malformed(lineNumber, "not a MySQL audit line: fewer than 10 comma-separated fields", line);
            return;
        }
        bool login = operation.SequenceEqual("CONNECT") || operation.SequenceEqual("FAILED_CONNECT") || operation.SequenceEqual("CHANGEUSER");
        if (operation.SequenceEqual("DISCONNECT")) return; // closes a connection; decides nothing
        if (!login)
        {
            // QUERY, READ, WRITE, TABLE... are the session's work. Only a quote left open matters: the query
            // goes on in the next line.
            if (NextField(ref rest, out _) && !rest.IsEmpty && rest[0] == '\'' && ClosingQuote(rest[1..]) < 0) _inQuote = true;
            LinesIgnored++;
            return;
        }
        if (!NextField(ref rest, out var database) || !SkipObject(ref rest))
        {
            Malformed(lineNumber, "not a MySQL audit line: fewer than 10 comma-separated fields", line);
            return;
        }
        bool more = NextField(ref rest, out var retcode);
        if (!int.TryParse(retcode, NumberStyles.AllowLeadingSign, CultureInfo.InvariantCulture, out int code))
        {
            Malformed(lineNumber, $"{operation} line without a numeric retcode in the tenth field", line);
            return;
        }
        var connectionType = more ? rest.Trim().Trim('\'') : default;
        var hostText = SplitPort(host, out int? port);
        bool failed = operation.SequenceEqual("FAILED_CONNECT") || code != 0;
        var userName = user.IsEmpty ? null : user.ToString();
        var hostName = hostText.ToString();
        string identity = $"{_database}|{serverHost}|{connection}|{stamp}";
        Events.Add(new LoginEvent(
            time, _database, _cluster, aurora ? "aurora-mysql" : "mysql",
            userName, database.IsEmpty ? null : database.ToString(), null,
            connectionType.Equals("SSL/TLS", StringComparison.OrdinalIgnoreCase) ? "SSL/TLS" : null, null,
            hostName, port,
            failed ? LoginOutcome.Failure : LoginOutcome.Success,
            failed ? Reason(code) : null,
            _source, lineNumber, identity)
        {
            // rdsadmin is RDS's own monitoring (every second); localhost and sockets are the server's own tools.
            Internal = userName == "rdsadmin" || hostName == "localhost"
                || connectionType.Equals("Socket", StringComparison.OrdinalIgnoreCase)
                || connectionType.Equals("Named pipe", StringComparison.OrdinalIgnoreCase)
                || connectionType.Equals("Shared memory", StringComparison.OrdinalIgnoreCase),
        });
    }

    public override void Finish()
    {
        _inQuote = false;
        if (_errorsOmitted > 0)
        {
            Errors.Add(new ReadError(_source, $"{_errorsOmitted} more malformed lines not listed"));
            _errorsOmitted = 0;
        }
    }

    /// <summary>retcode is the MySQL error number of the refusal.</summary>
    internal static string Reason(int code) => code switch
    {
        1045 => LoginReason.AccessDenied,
        1044 => LoginReason.DatabaseAccessDenied,
        1049 => LoginReason.UnknownDatabase,
        1130 => LoginReason.HostNotAllowed,
        1129 => LoginReason.HostBlocked,
        1040 or 1203 => LoginReason.TooManyConnections,
        3118 => LoginReason.AccountLocked,
        1862 or 1820 => LoginReason.ExpiredPassword,
        _ => "error " + code.ToString(CultureInfo.InvariantCulture),
    };

    /// <summary>
    /// MariaDB 12 writes the client as <c>host:port</c>. One colon is unambiguous; an IPv6 address has several,
    /// so its last <c>:digits</c> is taken as a port only once this log has shown ports on other hosts.
    /// </summary>
    private ReadOnlySpan<char> SplitPort(ReadOnlySpan<char> host, out int? port)
    {
        port = null;
        int colon = host.LastIndexOf(':');
        if (colon <= 0 || colon == host.Length - 1) return host;
        var digits = host[(colon + 1)..];
        if (PostgresLinePrefix.ReadPid(digits, out int p) != digits.Length || p > 65535) return host;
        if (host[0] == '[' && host[colon - 1] == ']')
        {
            port = p;
            _hostsCarryPort = true;
            return host[1..(colon - 1)];
        }
        bool single = host[..colon].IndexOf(':') < 0;
        if (!single && !_hostsCarryPort) return host;
        if (single) _hostsCarryPort = true;
        port = p;
        return host[..colon];
    }

    /// <summary>Skips the object field: empty, plain, or single-quoted SQL with commas and escaped quotes (<c>'it\'s, ok'</c>, <c>'it''s'</c>).</summary>
    private static bool SkipObject(ref ReadOnlySpan<char> rest)
    {
        if (rest.IsEmpty || rest[0] != '\'') return NextField(ref rest, out _);
        int end = ClosingQuote(rest[1..]);
        if (end < 0) return false;
        rest = rest[(end + 2)..];
        if (rest.IsEmpty) return false;
        if (rest[0] != ',') return false;
        rest = rest[1..];
        return true;
    }

    /// <summary>Index of the quote that ends a single-quoted value whose opening quote is already consumed; -1 if it does not end here.</summary>
    private static int ClosingQuote(ReadOnlySpan<char> s)
    {
        int i = 0;
        while (true)
        {
            int at = s[i..].IndexOfAny('\'', '\\');
            if (at < 0) return -1;
            i += at;
            if (s[i] == '\\')
            {
                i += 2;
                if (i >= s.Length) return -1;
                continue;
            }
            if (i + 1 < s.Length && s[i + 1] == '\'')
            {
                i += 2;
                continue;
            }
            return i;
        }
    }

    /// <summary>The next comma-terminated field; false when no comma is left (the last field is what remains in <paramref name="rest"/>).</summary>
    private static bool NextField(ref ReadOnlySpan<char> rest, out ReadOnlySpan<char> field)
    {
        int comma = rest.IndexOf(',');
        if (comma < 0)
        {
            field = rest;
            rest = default;
            return false;
        }
        field = rest[..comma];
        rest = rest[(comma + 1)..];
        return true;
    }

    private void Malformed(long lineNumber, string reason, ReadOnlySpan<char> line)
    {
        LinesMalformed++;
        if (Errors.Count >= ILoginLogParser.MaxErrors)
        {
            _errorsOmitted++;
            return;
        }
        Errors.Add(new ReadError(_source, $"{reason}: {PostgresLogParser.Excerpt(line)}", Line: lineNumber));
    }
}
