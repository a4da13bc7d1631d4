using System.Globalization;
using Moat.Read;

namespace Moat.Logins;

/// <summary>
/// Reads a PostgreSQL server log (RDS, Aurora or self-hosted, <c>log_connections</c> on) into login attempts.
/// The lines of one connection are joined by pid, checked against host and port where the prefix carries them:
/// <code>
/// 2024-08-03 14:44:05 UTC:10.0.0.75(48820):[unknown]@[unknown]:[3000]:LOG:  connection received: host=10.0.0.75 port=48820
/// 2024-08-03 14:44:05 UTC:10.0.0.75(48820):dynapipe@postgres:[3000]:LOG:  connection authenticated: identity="dynapipe" method=md5 (/rdsdbdata/config/pg_hba.conf:13)
/// 2024-08-03 14:44:05 UTC:10.0.0.75(48820):dynapipe@postgres:[3000]:LOG:  connection authorized: user=dynapipe database=postgres application_name=psql SSL enabled (protocol=TLSv1.3, cipher=TLS_AES_256_GCM_SHA384, bits=256)
/// </code>
/// A connection is decided as
/// <list type="bullet">
/// <item>success once authorized (or, with PostgreSQL 18's <c>log_connections=authentication</c>, authenticated) and
/// not refused right after: the role and database are checked only after <c>connection authorized</c> is logged;</item>
/// <item>failure on the FATAL that refuses it, refined by the DETAIL line that follows;</item>
/// <item>incomplete on a broken startup packet, or when nothing follows <c>connection received</c> within the
/// timeout (judged on the log's own clock, as later lines arrive) or before the input ends.</item>
/// </list>
/// FATAL lines also stand alone when <c>log_connections</c> is off: PostgreSQL always logs failed logins.
/// Only the English message texts are recognised (<c>lc_messages</c> other than <c>C</c>/<c>en</c> is not).
/// </summary>
public sealed class PostgresLogParser : LoginLogParserBase
{
    /// <summary>
    /// How long an authorized connection waits for a refusal before it counts as a success. PostgreSQL checks
    /// the role and database milliseconds after logging <c>connection authorized</c>; a line of the same
    /// process, its disconnection, or this much log time settles it earlier.
    /// </summary>
    internal static readonly TimeSpan SettleTime = TimeSpan.FromSeconds(10);

    private const string Unknown = "[unknown]";
    private const string Local = "[local]";

    private readonly string _source;
    private readonly string _database;
    private readonly string? _cluster;
    private readonly string _engine;
    private readonly TimeSpan _timeout;
    private readonly Dictionary<int, PgConnection> _open = [];
    private readonly Queue<(PgConnection Conn, int Version)> _awaiting = new();
    private readonly Queue<(PgConnection Conn, int Version)> _settling = new();
    private int _pending;        // open connections decided or authorized but not yet published
    private bool _lastWasLogin;  // whether the line before was about a login, for the TAB lines that continue it
    private int _prefix;         // index in PostgresLinePrefix.Known that matched last; -1 = loose
    private long _errorsOmitted;

    public PostgresLogParser(string source, string database, string? cluster, TimeSpan incompleteTimeout)
    {
        _source = source;
        _database = database;
        _cluster = cluster;
        _engine = cluster is null ? "postgres" : "aurora-postgresql";
        _timeout = incompleteTimeout;
    }

    public override LogKind Kind => LogKind.PostgreSql;

    public override void Feed(ReadOnlySpan<char> line, long lineNumber)
    {
        LinesRead++;
        if (!line.IsEmpty && line[^1] == '\r') line = line[..^1];
        if (line.IsEmpty)
        {
            LinesIgnored++;
            return;
        }
        if (line[0] == '\t')
        {
            // A message's own line breaks are followed by a TAB and no prefix:
            // "\tConnection matched pg_hba.conf line 13: ..." under a DETAIL.
            if (!_lastWasLogin) LinesIgnored++;
            return;
        }
        var f = default(PgLine);
        if (!MatchPrefix(line, ref f, out bool badZone))
        {
            _lastWasLogin = false;
            Malformed(lineNumber, badZone
                ? "the timestamp's time zone is not one this reader knows (set log_timezone to UTC, or to a zone printed as an offset)"
                : "not a PostgreSQL log line: no log_line_prefix with a timestamp, a [pid] and a severity", line);
            return;
        }
        Advance(f.Time);
        long ignored = LinesIgnored;
        var message = line[f.MessageStart..];
        switch (f.Severity)
        {
            case PgSeverity.Log:
                OnLog(line, message, ref f, lineNumber);
                break;
            case PgSeverity.Fatal:
                OnFatal(line, message, ref f, lineNumber);
                break;
            case PgSeverity.Detail:
                OnDetail(message, ref f);
                break;
            case PgSeverity.Hint or PgSeverity.Context or PgSeverity.Location or PgSeverity.Statement or PgSeverity.Query:
                // Parts of the message before (LOCATION under each message with log_error_verbosity = verbose):
                // they say nothing new about the process, so they settle nothing.
                if (!(_open.TryGetValue(f.Pid, out var c) && c.State == PgState.Decided)) LinesIgnored++;
                break;
            default:
                Ignore(f.Pid);
                break;
        }
        _lastWasLogin = LinesIgnored == ignored;
    }

    public override void Finish()
    {
        var left = new List<PgConnection>();
        foreach (var c in _open.Values)
        {
            if (c.State is PgState.Received or PgState.Authenticated or PgState.Authorized or PgState.Decided) left.Add(c);
        }
        left.Sort(static (a, b) => a.OpenedLine.CompareTo(b.OpenedLine));
        foreach (var c in left)
        {
            if (c.State == PgState.Received) Decide(c, LoginOutcome.Incomplete, LoginReason.InputEnded, c.Opened, c.OpenedLine);
            Publish(c);
        }
        _open.Clear();
        _awaiting.Clear();
        _settling.Clear();
        _pending = 0;
        if (_errorsOmitted > 0)
        {
            Errors.Add(new ReadError(_source, $"{_errorsOmitted} more malformed lines not listed"));
            _errorsOmitted = 0;
        }
    }

    private bool MatchPrefix(ReadOnlySpan<char> line, ref PgLine f, out bool badZone)
    {
        badZone = false;
        var known = PostgresLinePrefix.Known;
        if (_prefix >= 0 && known[_prefix].TryMatch(line, ref f, ref badZone)) return true;
        for (int i = 0; i < known.Length; i++)
        {
            if (i != _prefix && known[i].TryMatch(line, ref f, ref badZone))
            {
                _prefix = i;
                return true;
            }
        }
        if (PostgresLinePrefix.TryMatchLoose(line, ref f, ref badZone))
        {
            _prefix = -1;
            return true;
        }
        return false;
    }

    private void OnLog(ReadOnlySpan<char> line, ReadOnlySpan<char> m, ref PgLine f, long lineNumber)
    {
        if (m.StartsWith("connection ", StringComparison.Ordinal))
        {
            var rest = m[11..];
            if (rest.StartsWith("received: ", StringComparison.Ordinal)) OnReceived(line, rest[10..], ref f, lineNumber);
            else if (rest.StartsWith("authorized: ", StringComparison.Ordinal)) OnAuthorized(line, rest[12..], ref f, lineNumber);
            else if (rest.StartsWith("authenticated: ", StringComparison.Ordinal)) OnAuthenticated(line, rest[15..], ref f, lineNumber);
            else if (rest.StartsWith("ready: ", StringComparison.Ordinal)) SettleIfPending(f.Pid); // PostgreSQL 18: startup finished
            else Ignore(f.Pid);
        }
        else if (m.StartsWith("disconnection: ", StringComparison.Ordinal)) OnDisconnection(line, ref f, lineNumber);
        else if (m.StartsWith("replication connection authorized: ", StringComparison.Ordinal)) OnAuthorized(line, m[35..], ref f, lineNumber);
        else if (m.SequenceEqual("incomplete startup packet")) OnStartupProblem(line, ref f, lineNumber, LoginReason.IncompleteStartupPacket, standalone: true);
        else if (m.StartsWith("invalid length of startup packet", StringComparison.Ordinal)
            || m.StartsWith("invalid startup packet layout", StringComparison.Ordinal)
            || m.StartsWith("received unencrypted data after", StringComparison.Ordinal))
            OnStartupProblem(line, ref f, lineNumber, LoginReason.InvalidStartupPacket, standalone: true);
        else if (m.StartsWith("could not accept SSL connection", StringComparison.Ordinal)
            || m.StartsWith("could not accept GSSAPI security context", StringComparison.Ordinal))
            OnStartupProblem(line, ref f, lineNumber, LoginReason.SslFailed, standalone: true);
        else if (m.StartsWith("could not receive data from client", StringComparison.Ordinal)
            || m.StartsWith("unexpected EOF on client connection", StringComparison.Ordinal))
            OnStartupProblem(line, ref f, lineNumber, LoginReason.ConnectionLost, standalone: false);
        else Ignore(f.Pid);
    }

    /// <summary><c>connection received: host=10.0.0.75 port=48820</c> or <c>connection received: host=[local]</c>.</summary>
    private void OnReceived(ReadOnlySpan<char> line, ReadOnlySpan<char> m, ref PgLine f, long lineNumber)
    {
        if (!m.StartsWith("host=", StringComparison.Ordinal))
        {
            Malformed(lineNumber, "'connection received' without host=", line);
            return;
        }
        m = m[5..];
        int? port = null;
        int sp = m.IndexOf(" port=", StringComparison.Ordinal);
        if (sp >= 0)
        {
            var digits = m[(sp + 6)..];
            if (PostgresLinePrefix.ReadPid(digits, out int p) != digits.Length || p > 65535)
            {
                Malformed(lineNumber, "'connection received' with a port that is not a number", line);
                return;
            }
            port = p;
            m = m[..sp];
        }
        if (_open.Remove(f.Pid, out var old)) End(old);
        var c = new PgConnection
        {
            Pid = f.Pid,
            Host = m.ToString(),
            Port = port,
            Opened = f.Time,
            OpenedLine = lineNumber,
            State = PgState.Received,
        };
        _open[f.Pid] = c;
        _awaiting.Enqueue((c, c.Version));
    }

    /// <summary>
    /// <c>connection authenticated: identity="dynapipe" method=md5 (/rdsdbdata/config/pg_hba.conf:13)</c>; from
    /// PostgreSQL 18 also for methods without an identity: <c>connection authenticated: user="postgres" method=trust (...)</c>.
    /// </summary>
    private void OnAuthenticated(ReadOnlySpan<char> line, ReadOnlySpan<char> m, ref PgLine f, long lineNumber)
    {
        var c = FindOrStart(line, ref f, lineNumber);
        int at = m.IndexOf(" method=", StringComparison.Ordinal);
        if (at >= 0)
        {
            var method = m[(at + 8)..];
            int end = method.IndexOf(' ');
            c.AuthMethod = (end < 0 ? method : method[..end]).ToString();
        }
        if (m.StartsWith("user=\"", StringComparison.Ordinal))
        {
            int q = at > 6 ? m[..at].LastIndexOf('"') : -1;
            if (q > 6) c.User = m[6..q].ToString();
        }
        if (c.State == PgState.Received)
        {
            c.State = PgState.Authenticated;
            c.DecidedAt = f.Time;
            c.DecidedLine = lineNumber;
            StartSettling(c);
        }
    }

    /// <summary>
    /// <c>connection authorized: user=app database=appdb application_name=psql SSL enabled (protocol=TLSv1.3, cipher=TLS_AES_256_GCM_SHA384, bits=256)</c>.
    /// <c>application_name</c> is there only when the client sent one; before PostgreSQL 14 the SSL clause also
    /// had <c>compression=off</c>; a GSS clause may follow; replication connections have no database.
    /// Values are not quoted, so each runs up to the next key (an application name may hold spaces and commas).
    /// </summary>
    private void OnAuthorized(ReadOnlySpan<char> line, ReadOnlySpan<char> m, ref PgLine f, long lineNumber)
    {
        if (!m.StartsWith("user=", StringComparison.Ordinal))
        {
            Malformed(lineNumber, "'connection authorized' without user=", line);
            return;
        }
        var c = FindOrStart(line, ref f, lineNumber);
        int ssl = m.LastIndexOf(" SSL enabled (", StringComparison.Ordinal);
        int gss = m.LastIndexOf(" GSS (", StringComparison.Ordinal);
        int tail = m.Length;
        if (ssl >= 0)
        {
            tail = ssl;
            var clause = m[(ssl + 14)..];
            c.Ssl = ClauseValue(clause, "protocol=") is { IsEmpty: false } protocol ? protocol.ToString() : "SSL";
        }
        if (gss >= 0)
        {
            tail = Math.Min(tail, gss);
            if (c.Ssl is null && ClauseValue(m[(gss + 6)..], "encrypted=").SequenceEqual("yes")) c.Ssl = "GSS";
        }
        var head = m[5..tail];
        int db = head.IndexOf(" database=", StringComparison.Ordinal);
        int app = head[(db < 0 ? 0 : db)..].IndexOf(" application_name=", StringComparison.Ordinal);
        if (app >= 0 && db >= 0) app += db;
        int userEnd = db >= 0 ? db : app >= 0 ? app : head.Length;
        c.User = NullIfUnknown(head[..userEnd]);
        if (db >= 0) c.DatabaseName = NullIfUnknown(head[(db + 10)..(app >= 0 ? app : head.Length)]);
        if (app >= 0) c.Application = NullIfUnknown(head[(app + 18)..]);
        if (c.State is PgState.Received or PgState.Authenticated)
        {
            c.State = PgState.Authorized;
            c.DecidedAt = f.Time;
            c.DecidedLine = lineNumber;
            StartSettling(c);
        }
    }

    /// <summary><c>disconnection: session time: 0:00:05.123 user=app database=appdb host=10.0.1.23 port=54321</c>: the connection is over.</summary>
    private void OnDisconnection(ReadOnlySpan<char> line, ref PgLine f, long lineNumber)
    {
        var c = Find(line, ref f);
        if (c is null) return;
        _open.Remove(c.Pid);
        if (c.State == PgState.Decided) Publish(c);
        else if (c.State is PgState.Received or PgState.Authenticated or PgState.Authorized)
        {
            // Only sessions that completed startup are disconnected, so this one logged in even if the
            // line saying so is missing: "... user=app database=appdb host=10.0.1.23 port=54321".
            var m = line[f.MessageStart..];
            int user = m.IndexOf(" user=", StringComparison.Ordinal);
            int db = m.IndexOf(" database=", StringComparison.Ordinal);
            int host = m.IndexOf(" host=", StringComparison.Ordinal);
            if (c.User is null && user >= 0 && db > user) c.User = NullIfUnknown(m[(user + 6)..db]);
            if (c.DatabaseName is null && db >= 0 && host > db) c.DatabaseName = NullIfUnknown(m[(db + 10)..host]);
            if (c.State == PgState.Received)
            {
                c.DecidedAt = f.Time;
                c.DecidedLine = lineNumber;
            }
            Publish(c);
        }
        c.State = PgState.Done;
    }

    private void OnStartupProblem(ReadOnlySpan<char> line, ref PgLine f, long lineNumber, string reason, bool standalone)
    {
        var c = Find(line, ref f);
        if (c is null)
        {
            if (!standalone)
            {
                LinesIgnored++;
                return;
            }
            c = Start(line, ref f, lineNumber);
        }
        else if (c.State != PgState.Received)
        {
            // A session that lost its client after logging in: not about the login.
            SettleIfPending(c.Pid);
            LinesIgnored++;
            return;
        }
        _open.Remove(c.Pid);
        Decide(c, LoginOutcome.Incomplete, reason, f.Time, lineNumber);
        Publish(c);
    }

    private void OnFatal(ReadOnlySpan<char> line, ReadOnlySpan<char> m, ref PgLine f, long lineNumber)
    {
        var refusal = default(Refusal);
        if (ReadRefusal(m, ref refusal))
        {
            var c = Find(line, ref f);
            if (c is not null && c.State is PgState.Done or PgState.Decided)
            {
                LinesIgnored++;
                return;
            }
            if (c is null)
            {
                c = Start(line, ref f, lineNumber);
                _open[c.Pid] = c;
            }
            if (refusal.User is not null) c.User = refusal.User;
            c.User ??= PrefixValue(line, f.UserStart, f.UserLength);
            if (refusal.Database is not null) c.DatabaseName = refusal.Database;
            c.DatabaseName ??= PrefixValue(line, f.DbStart, f.DbLength);
            c.Application ??= PrefixValue(line, f.AppStart, f.AppLength);
            if (refusal.Method is not null) c.AuthMethod = refusal.Method;
            if (refusal.Ssl is not null) c.Ssl = refusal.Ssl;
            if (refusal.Host is not null && c.Host == Unknown) c.Host = refusal.Host;
            Decide(c, LoginOutcome.Failure, refusal.Reason!, f.Time, lineNumber);
            // Its DETAIL may follow: held until another line of the process, or the settle time, says it is over.
            StartSettling(c);
            return;
        }
        var problem = StartupProblem(m, out bool standalone);
        var open = Find(line, ref f);
        if (open is not null && open.State == PgState.Received)
        {
            _open.Remove(open.Pid);
            Decide(open, LoginOutcome.Incomplete, problem ?? m.ToString(), f.Time, lineNumber);
            Publish(open);
        }
        else if (open is null && problem is not null && standalone)
        {
            var c = Start(line, ref f, lineNumber);
            Decide(c, LoginOutcome.Incomplete, problem, f.Time, lineNumber);
            Publish(c);
        }
        else
        {
            // "terminating connection due to administrator command", "the database system is shutting down"
            // for a session already in: not a login.
            if (open is not null) SettleIfPending(open.Pid);
            LinesIgnored++;
        }
    }

    /// <summary>
    /// The DETAIL under <c>password authentication failed for user "x"</c> says why:
    /// <code>
    /// ...:[12507]:DETAIL:  Password does not match for user "test_user".
    /// 	Connection matched pg_hba.conf line 13: "host all all 0.0.0.0/0 md5"
    /// </code>
    /// or <c>Role "x" does not exist.</c>, <c>User "x" has no password assigned.</c>, <c>User "x" has an expired
    /// password.</c>; with no reason to give, only the <c>Connection matched</c> line (PostgreSQL 16:
    /// <c>Connection matched file "/path/pg_hba.conf" line 13: ...</c>).
    /// </summary>
    private void OnDetail(ReadOnlySpan<char> m, ref PgLine f)
    {
        if (!_open.TryGetValue(f.Pid, out var held) || held.State != PgState.Decided)
        {
            LinesIgnored++;
            return;
        }
        if (held.Reason != LoginReason.PasswordFailed) return;
        if (m.StartsWith("Password does not match", StringComparison.Ordinal)) held.Reason = LoginReason.WrongPassword;
        else if (m.StartsWith("Role \"", StringComparison.Ordinal) && m.Contains("\" does not exist", StringComparison.Ordinal)) held.Reason = LoginReason.UnknownUser;
        else if (m.Contains(" has no password assigned", StringComparison.Ordinal)) held.Reason = LoginReason.NoPassword;
        else if (m.Contains(" has an expired password", StringComparison.Ordinal)) held.Reason = LoginReason.ExpiredPassword;
    }

    private ref struct Refusal
    {
        public string? Reason, User, Database, Host, Ssl, Method;
    }

    /// <summary>A FATAL that refuses a login: wrong credentials, host rules, or a role or database that may not be used.</summary>
    private static bool ReadRefusal(ReadOnlySpan<char> m, ref Refusal r)
    {
        // password authentication failed for user "test_user"; PAM / LDAP / Ident / Peer / certificate ... likewise.
        int failed = m.IndexOf(" authentication failed for user \"", StringComparison.Ordinal);
        if (failed > 0 && m[^1] == '"')
        {
            var method = m[..failed];
            r.User = m[(failed + 33)..^1].ToString();
            if (method.SequenceEqual("password"))
            {
                r.Method = "password";
                r.Reason = LoginReason.PasswordFailed;
            }
            else
            {
                var name = method.ToString();
                r.Method = name.ToLowerInvariant();
                r.Reason = LoginReason.MethodFailed(name);
            }
            return true;
        }
        if (m.StartsWith("no pg_hba.conf entry for ", StringComparison.Ordinal))
        {
            r.Reason = LoginReason.NoHbaEntry;
            ReadHbaTarget(m[25..], ref r);
            return true;
        }
        if (m.StartsWith("pg_hba.conf rejects ", StringComparison.Ordinal))
        {
            r.Reason = LoginReason.HbaRejects;
            ReadHbaTarget(m[20..], ref r);
            return true;
        }
        if (m.StartsWith("database \"", StringComparison.Ordinal) && m.EndsWith("\" does not exist", StringComparison.Ordinal))
        {
            r.Reason = LoginReason.UnknownDatabase;
            r.Database = m[10..^16].ToString();
            return true;
        }
        if (m.StartsWith("role \"", StringComparison.Ordinal))
        {
            if (m.EndsWith("\" does not exist", StringComparison.Ordinal))
            {
                r.Reason = LoginReason.UnknownUser;
                r.User = m[6..^16].ToString();
                return true;
            }
            if (m.EndsWith("\" is not permitted to log in", StringComparison.Ordinal))
            {
                r.Reason = LoginReason.LoginNotPermitted;
                r.User = m[6..^28].ToString();
                return true;
            }
            return false;
        }
        if (m.StartsWith("permission denied for database \"", StringComparison.Ordinal) && m[^1] == '"')
        {
            r.Reason = LoginReason.NoConnectPrivilege;
            r.Database = m[32..^1].ToString();
            return true;
        }
        if (m.StartsWith("too many connections for ", StringComparison.Ordinal))
        {
            r.Reason = LoginReason.TooManyConnections;
            return true;
        }
        if ((m.StartsWith("database \"", StringComparison.Ordinal) && m.EndsWith(" is not currently accepting connections", StringComparison.Ordinal))
            || m.StartsWith("must be superuser to connect", StringComparison.Ordinal)
            || m.StartsWith("must be superuser or replication role", StringComparison.Ordinal)
            || m.StartsWith("must be superuser or have the REPLICATION attribute", StringComparison.Ordinal)
            || m.StartsWith("permission denied to start WAL sender", StringComparison.Ordinal)
            || m.StartsWith("remaining connection slots are reserved", StringComparison.Ordinal)
            || m.StartsWith("connection requires a valid client certificate", StringComparison.Ordinal))
        {
            r.Reason = m.ToString();
            return true;
        }
        return false;
    }

    /// <summary>
    /// After "no pg_hba.conf entry for " / "pg_hba.conf rejects ":
    /// <c>host "203.0.113.9", user "postgres", database "postgres", no encryption</c> (or <c>connection for host ...</c>,
    /// <c>replication connection from host "...", user "..."</c>). The last clause is <c>SSL encryption</c>,
    /// <c>GSS encryption</c> or <c>no encryption</c> from PostgreSQL 12, <c>SSL on</c> / <c>SSL off</c> before.
    /// </summary>
    private static void ReadHbaTarget(ReadOnlySpan<char> m, ref Refusal r)
    {
        int host = m.IndexOf("host \"", StringComparison.Ordinal);
        if (host < 0) return;
        var rest = m[(host + 6)..];
        int end = rest.IndexOf("\", user \"", StringComparison.Ordinal);
        if (end < 0) return;
        r.Host = rest[..end].ToString();
        rest = rest[(end + 9)..];
        end = rest.IndexOf('"');
        if (end < 0) return;
        r.User = rest[..end].ToString();
        rest = rest[(end + 1)..];
        if (rest.StartsWith(", database \"", StringComparison.Ordinal))
        {
            rest = rest[12..];
            end = rest.IndexOf("\", ", StringComparison.Ordinal);
            if (end < 0) end = rest.LastIndexOf('"');
            if (end < 0) return;
            r.Database = rest[..end].ToString();
            rest = rest[(end + 1)..];
        }
        var encryption = rest.TrimStart(", ");
        if (encryption.SequenceEqual("SSL encryption") || encryption.SequenceEqual("SSL on")) r.Ssl = "SSL";
        else if (encryption.SequenceEqual("GSS encryption")) r.Ssl = "GSS";
    }

    /// <summary>FATALs that end a connection before it tried to log in: a probe, a broken client, a server not ready.</summary>
    private static string? StartupProblem(ReadOnlySpan<char> m, out bool standalone)
    {
        standalone = true;
        if (m.StartsWith("unsupported frontend protocol", StringComparison.Ordinal)) return LoginReason.UnsupportedProtocol;
        if (m.StartsWith("no PostgreSQL user name specified", StringComparison.Ordinal)
            || m.StartsWith("invalid length of startup packet", StringComparison.Ordinal)
            || m.StartsWith("invalid startup packet layout", StringComparison.Ordinal)) return LoginReason.InvalidStartupPacket;
        if (m.StartsWith("canceling authentication due to timeout", StringComparison.Ordinal)) return LoginReason.AuthenticationTimeout;
        standalone = false;
        return null;
    }

    private static ReadOnlySpan<char> ClauseValue(ReadOnlySpan<char> clause, string key)
    {
        int at = clause.IndexOf(key, StringComparison.Ordinal);
        if (at < 0) return default;
        var value = clause[(at + key.Length)..];
        int end = value.IndexOfAny(',', ')');
        return end < 0 ? value : value[..end];
    }

    /// <summary>The open connection of the line's process, unless the prefix shows another client (the pid was reused).</summary>
    private PgConnection? Find(ReadOnlySpan<char> line, ref PgLine f)
    {
        if (!_open.TryGetValue(f.Pid, out var c)) return null;
        if (f.HostLength > 0)
        {
            var host = line.Slice(f.HostStart, f.HostLength);
            if (!host.SequenceEqual(c.Host) || (f.Port >= 0 && c.Port is { } port && port != f.Port))
            {
                _open.Remove(f.Pid);
                End(c);
                return null;
            }
        }
        return c;
    }

    private PgConnection FindOrStart(ReadOnlySpan<char> line, ref PgLine f, long lineNumber)
    {
        var c = Find(line, ref f);
        if (c is not null && c.State != PgState.Done) return c;
        if (c is not null) _open.Remove(c.Pid);
        c = Start(line, ref f, lineNumber);
        _open[c.Pid] = c;
        return c;
    }

    /// <summary>A connection whose <c>connection received</c> line is not in this input: host and port come from the prefix, if it has them.</summary>
    private static PgConnection Start(ReadOnlySpan<char> line, ref PgLine f, long lineNumber) => new()
    {
        Pid = f.Pid,
        Host = f.HostLength > 0 ? line.Slice(f.HostStart, f.HostLength).ToString() : Unknown,
        Port = f.Port >= 0 ? f.Port : null,
        Opened = f.Time,
        OpenedLine = lineNumber,
        State = PgState.Received,
        User = PrefixValue(line, f.UserStart, f.UserLength),
        DatabaseName = PrefixValue(line, f.DbStart, f.DbLength),
    };

    private static string? PrefixValue(ReadOnlySpan<char> line, int start, int length) =>
        length <= 0 ? null : NullIfUnknown(line.Slice(start, length));

    private static string? NullIfUnknown(ReadOnlySpan<char> value) =>
        value.IsEmpty || value.SequenceEqual(Unknown) ? null : value.ToString();

    private void StartSettling(PgConnection c)
    {
        if (!c.Pending)
        {
            c.Pending = true;
            _pending++;
        }
        c.Version++;
        _settling.Enqueue((c, c.Version));
    }

    /// <summary>Any other line of a process whose login is still settling means the session is under way: the login succeeded.</summary>
    private void SettleIfPending(int pid)
    {
        if (_pending > 0 && _open.TryGetValue(pid, out var c) && c.Pending)
        {
            Publish(c);
        }
    }

    private void Ignore(int pid)
    {
        SettleIfPending(pid);
        LinesIgnored++;
    }

    /// <summary>Decides what the log's clock says is over: logins nobody attempted, and authorizations nobody refused.</summary>
    private void Advance(DateTimeOffset now)
    {
        while (_awaiting.TryPeek(out var next))
        {
            var c = next.Conn;
            if (c.Version == next.Version && c.State == PgState.Received)
            {
                if (now - c.Opened <= _timeout) break;
                Decide(c, LoginOutcome.Incomplete, LoginReason.NothingAfterConnect, c.Opened, c.OpenedLine);
                Publish(c);
            }
            _awaiting.Dequeue();
        }
        while (_settling.TryPeek(out var next))
        {
            var c = next.Conn;
            if (c.Version == next.Version && c.Pending)
            {
                if (now - c.DecidedAt <= SettleTime) break;
                Publish(c);
            }
            _settling.Dequeue();
        }
    }

    /// <summary>A connection that ends without a word (its pid starts another one): decided on what was seen.</summary>
    private void End(PgConnection c)
    {
        if (c.State == PgState.Received) Decide(c, LoginOutcome.Incomplete, LoginReason.NothingAfterConnect, c.Opened, c.OpenedLine);
        if (c.State is PgState.Decided or PgState.Authenticated or PgState.Authorized) Publish(c);
        c.State = PgState.Done;
    }

    private void Decide(PgConnection c, LoginOutcome outcome, string reason, DateTimeOffset at, long line)
    {
        if (c.Pending)
        {
            c.Pending = false;
            _pending--;
        }
        c.Version++;
        c.Outcome = outcome;
        c.Reason = reason;
        c.DecidedAt = at;
        c.DecidedLine = line;
        c.State = PgState.Decided;
    }

    /// <summary>
    /// Adds the connection's event and forgets the connection: from here on its lines are the session's, not the
    /// login's. Keeping sessions would hold one entry per pid for as long as the log runs when
    /// <c>log_disconnections</c> is off.
    /// </summary>
    private void Publish(PgConnection c)
    {
        if (_open.TryGetValue(c.Pid, out var same) && ReferenceEquals(same, c)) _open.Remove(c.Pid);
        if (c.Pending)
        {
            c.Pending = false;
            _pending--;
        }
        var outcome = c.State == PgState.Decided ? c.Outcome : LoginOutcome.Success;
        c.State = PgState.Done;
        c.Version++;
        var identity = string.Create(CultureInfo.InvariantCulture,
            $"{_database}|{c.Pid}|{c.Host}|{c.Port}|{c.Opened.UtcDateTime:yyyy-MM-dd'T'HH:mm:ss.FFFFFFF'Z'}");
        Events.Add(new LoginEvent(
            outcome == LoginOutcome.Incomplete ? c.Opened : c.DecidedAt,
            _database, _cluster, _engine,
            c.User, c.DatabaseName, c.Application, c.Ssl, c.AuthMethod,
            c.Host, c.Port, outcome, outcome == LoginOutcome.Success ? null : c.Reason,
            _source, outcome == LoginOutcome.Incomplete && c.Reason == LoginReason.NothingAfterConnect ? c.OpenedLine : c.DecidedLine,
            identity)
        {
            // The RDS management user checks every instance around the clock; local sockets are the server's own tools.
            Internal = c.Host == Local || c.User == "rdsadmin",
        });
    }

    private void Malformed(long lineNumber, string reason, ReadOnlySpan<char> line)
    {
        LinesMalformed++;
        if (Errors.Count >= ILoginLogParser.MaxErrors)
        {
            _errorsOmitted++;
            return;
        }
        Errors.Add(new ReadError(_source, $"{reason}: {Excerpt(line)}", Line: lineNumber));
    }

    internal static string Excerpt(ReadOnlySpan<char> line) =>
        line.Length <= 80 ? line.ToString() : string.Concat(line[..77], "...");
}

internal enum PgState : byte
{
    Received,      // connection received, nothing else yet
    Authenticated, // credentials accepted; authorization may still refuse
    Authorized,    // authorized; the role and database checks may still refuse
    Decided,       // failure waiting for its DETAIL, or incomplete about to be published
    Done,          // published; later lines of the pid belong to the session
}

/// <summary>What is known so far of one connection (one backend process).</summary>
internal sealed class PgConnection
{
    public int Pid;
    public string Host = "";
    public int? Port;
    public DateTimeOffset Opened;
    public long OpenedLine;
    public PgState State;
    public bool Pending;
    public int Version; // bumped on every change, so queued deadlines of an earlier state are skipped
    public string? User, DatabaseName, Application, Ssl, AuthMethod, Reason;
    public LoginOutcome Outcome;
    public DateTimeOffset DecidedAt;
    public long DecidedLine;
}
