using System.IO.Compression;
using System.Text.Json;
using Moat.Read;

namespace Moat.Logins;

/// <summary>How <see cref="LoginLogReader"/> reads its inputs.</summary>
public sealed record LoginReadOptions
{
    /// <summary>
    /// Covers PostgreSQL's own <c>authentication_timeout</c> (60 s by default): by then the server has either
    /// heard a login or dropped the connection.
    /// </summary>
    public static TimeSpan DefaultIncompleteTimeout { get; } = TimeSpan.FromSeconds(60);

    /// <summary>What the inputs hold; <see cref="LogKind.Unknown"/> decides from each input's content (<c>--kind</c>).</summary>
    public LogKind Kind { get; init; } = LogKind.Unknown;

    /// <summary>
    /// The database instance the inputs come from (<c>--db-instance</c>), for inputs that do not say it
    /// themselves through a CloudWatch log group. Without it, the file name less its extensions is used.
    /// </summary>
    public string? DbInstance { get; init; }

    /// <summary>How long after <c>connection received</c>, in log time, a connection with nothing else is a probe.</summary>
    public TimeSpan IncompleteTimeout { get; init; } = DefaultIncompleteTimeout;
}

/// <summary>What one input yielded. <see cref="Events"/> is empty when the events went to a callback.</summary>
public sealed record LoginReadResult(
    InputFile Input,
    LogKind Kind,
    IReadOnlyList<LoginEvent> Events,
    IReadOnlyList<ReadError> Errors,
    long Lines,
    long IgnoredLines,
    long MalformedLines,
    bool Complete);

/// <summary>
/// Reads database logs for login detection: decides what an input holds, finds which database it is about, and
/// streams its lines through the matching parser. Understands the logs as files, and as CloudWatch Logs
/// delivers them:
/// <list type="bullet">
/// <item>subscription payloads, one JSON object per file or per line, gzip or not, or base64 of gzip:
/// <c>{"messageType":"DATA_MESSAGE","logGroup":"/aws/rds/cluster/prod/postgresql","logStream":"prod-instance-1","logEvents":[{"id":"...","timestamp":1728498527380,"message":"..."}]}</c>
/// (<c>CONTROL_MESSAGE</c>s are skipped);</item>
/// <item>exported log events <c>{"timestamp":1728498527380,"message":"..."}</c>, and <c>aws logs</c> output
/// (<c>{"events":[...]}</c>, with <c>logStreamName</c>);</item>
/// <item>exports to S3: <c>2024-08-03T14:44:05.000Z &lt;raw line&gt;</c>.</item>
/// </list>
/// The database is the log group's (<c>/aws/rds/cluster/&lt;cluster&gt;/...</c> with the log stream as the instance,
/// <c>/aws/rds/instance/&lt;id&gt;/...</c>), else <see cref="LoginReadOptions.DbInstance"/>, else the log stream,
/// else the file name. Each log stream gets its own parser: the pids of two instances have nothing to do with each other.
/// </summary>
public sealed class LoginLogReader(LoginReadOptions options)
{
    public LoginLogReader() : this(new LoginReadOptions())
    {
    }

    /// <summary>Reads one input completely; never throws for bad content. Events go to <paramref name="onEvent"/> as they are decided, if given.</summary>
    public LoginReadResult Read(InputFile input, Action<LoginEvent>? onEvent = null) => new ReadRun(input, options, onEvent).Execute();

    /// <summary>
    /// What an input holds, from its first 64 KiB (after gzip). Opens the input, so for standard input, which
    /// cannot be read twice, use <see cref="Sniff(ReadOnlySpan{byte}, bool)"/> on bytes already read.
    /// </summary>
    public static LogKind Sniff(InputFile input)
    {
        try
        {
            using var stream = input.OpenDecoded();
            var head = ReadHead(stream, out bool whole);
            return LogSniffer.Sniff(head, whole).Kind;
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException or InvalidDataException)
        {
            return LogKind.Unknown;
        }
    }

    /// <summary>What a log holds, judged from its first bytes (decoded from gzip); <paramref name="wholeInput"/> when they are all of it.</summary>
    public static LogKind Sniff(ReadOnlySpan<byte> head, bool wholeInput = false) => LogSniffer.Sniff(head, wholeInput).Kind;

    /// <summary>
    /// The log kind an RDS log group holds, by its last segment: <c>postgresql</c> and <c>audit</c>. Null for a
    /// group that is not an RDS one; <paramref name="other"/> for RDS logs without logins (error, slowquery...).
    /// </summary>
    internal static LogKind? KindOfGroup(string group, out bool other)
    {
        other = false;
        if (!group.StartsWith("/aws/rds/", StringComparison.Ordinal)) return null;
        var type = group.AsSpan(group.LastIndexOf('/') + 1);
        if (type.SequenceEqual("postgresql")) return LogKind.PostgreSql;
        if (type.SequenceEqual("audit")) return LogKind.MySqlAudit;
        other = true;
        return null;
    }

    /// <summary><c>/aws/rds/cluster/&lt;cluster&gt;/&lt;log&gt;</c> or <c>/aws/rds/instance/&lt;id&gt;/&lt;log&gt;</c>.</summary>
    internal static bool TryGroupIdentity(string? group, string? stream, out string database, out string? cluster)
    {
        database = "";
        cluster = null;
        if (group is null) return false;
        var parts = group.Split('/');
        // "", "aws", "rds", "cluster"|"instance", name, log
        if (parts.Length != 6 || parts[0].Length != 0 || parts[1] != "aws" || parts[2] != "rds" || parts[4].Length == 0) return false;
        if (parts[3] == "cluster")
        {
            cluster = parts[4];
            database = string.IsNullOrEmpty(stream) ? parts[4] : stream;
            return true;
        }
        if (parts[3] == "instance")
        {
            database = parts[4];
            return true;
        }
        return false;
    }

    /// <summary>The file name without its extensions: <c>prod-db-1.log.gz</c> is <c>prod-db-1</c>.</summary>
    internal static string FileStem(InputFile input, bool exported)
    {
        if (input.Path is null) return "stdin";
        var name = Path.GetFileName(input.Path);
        int dot = name.IndexOf('.', 1);
        var stem = dot > 0 ? name[..dot] : name;
        // An export to S3 is laid out as <prefix>/<task>/<log stream>/000000.gz: the folder names the stream.
        if (exported && stem.Length > 0 && !stem.AsSpan().ContainsAnyExceptInRange('0', '9'))
        {
            var folder = Path.GetFileName(Path.GetDirectoryName(Path.GetFullPath(input.Path)));
            if (!string.IsNullOrEmpty(folder)) return folder;
        }
        return stem;
    }

    internal static byte[] ReadHead(Stream stream, out bool whole)
    {
        var head = new byte[LogSniffer.HeadBytes];
        int got = 0;
        whole = false;
        while (got < head.Length)
        {
            int n = stream.Read(head, got, head.Length - got);
            if (n == 0)
            {
                whole = true;
                break;
            }
            got += n;
        }
        return got == head.Length ? head : head[..got];
    }

    /// <summary>The state of reading one input.</summary>
    private sealed class ReadRun(InputFile input, LoginReadOptions options, Action<LoginEvent>? onEvent) : IRecordSink
    {
        private const int MaxNesting = 2;

        private readonly List<LoginEvent> _events = [];
        private readonly List<ReadError> _errors = [];
        private readonly Dictionary<string, ILoginLogParser?> _parsers = [];
        private readonly List<ILoginLogParser> _order = [];
        private LogKind _kind;
        private LogLayout _layout;
        private bool _complete = true;
        private long _skippedLines;
        private char[] _chars = new char[4096];
        private long? _lineOverride; // lines inside a base64 payload are all reported at the payload's line
        private int _nesting;

        // The parser of the last log group and stream, so consecutive events skip the dictionary.
        private string? _lastGroup, _lastStream;
        private ILoginLogParser? _lastParser;
        private bool _hasLast;

        private string Source => input.DisplayName;

        public LoginReadResult Execute()
        {
            Stream? stream = null;
            try
            {
                stream = input.OpenDecoded(out var gzip);
                var head = ReadHead(stream, out bool whole);
                var sniff = LogSniffer.Sniff(head, whole);
                _layout = sniff.Layout;
                _kind = options.Kind != LogKind.Unknown ? options.Kind : sniff.Kind;
                if (_kind == LogKind.CloudTrail)
                {
                    _errors.Add(new ReadError(Source, "a CloudTrail log, not a database log: it is scanned for CloudTrail findings instead"));
                    _complete = false;
                    return Result();
                }
                if (_kind == LogKind.Unknown)
                {
                    _errors.Add(new ReadError(Source, "not a database log this reader knows (PostgreSQL with log_connections, or a MySQL/MariaDB audit log); give --kind if it is one"));
                    _complete = false;
                    return Result();
                }
                stream = new PrefixedStream(head, stream);
                long decoded = _layout switch
                {
                    LogLayout.Json => ReadJson(stream),
                    LogLayout.Base64 => ReadBase64(stream),
                    _ => ReadLines(stream),
                };
                // Only an input read to its end can be checked against the gzip trailer.
                if (_complete && gzip?.Problem(decoded) is { } problem)
                {
                    _errors.Add(new ReadError(Source, $"{problem}; the lines before the cut were read", ByteOffset: decoded));
                    _complete = false;
                }
            }
            catch (Exception e) when (e is IOException or UnauthorizedAccessException or InvalidDataException)
            {
                _errors.Add(new ReadError(Source, "cannot read: " + e.Message));
                _complete = false;
            }
            finally
            {
                stream?.Dispose();
            }
            return Result();
        }

        private LoginReadResult Result()
        {
            long lines = _skippedLines, ignored = _skippedLines, malformed = 0;
            foreach (var parser in _order)
            {
                parser.Finish();
                Drain(parser);
                _errors.AddRange(parser.Errors);
                lines += parser.LinesRead;
                ignored += parser.LinesIgnored;
                malformed += parser.LinesMalformed;
            }
            return new LoginReadResult(input, _kind, _events, _errors, lines, ignored, malformed, _complete);
        }

        private long ReadLines(Stream stream)
        {
            var reader = new LineReader(stream);
            bool exported = _layout == LogLayout.ExportLines;
            var parser = Parser(null, null);
            while (reader.TryRead(out var line, out bool tooLong))
            {
                if (tooLong)
                {
                    _errors.Add(new ReadError(Source, $"line longer than {LineReader.MaxLineBytes >> 20} MiB; skipped", Line: reader.Line));
                    continue;
                }
                if (parser is null)
                {
                    _skippedLines++;
                    continue;
                }
                if (exported)
                {
                    int prefix = LogTime.ExportPrefixLength(line);
                    if (prefix > 0) line = line[prefix..];
                }
                parser.Feed(line, reader.Line);
                if (parser.Events.Count > 0) Drain(parser);
            }
            return reader.BytesRead;
        }

        private long ReadJson(Stream stream)
        {
            var splitter = new RecordSplitter(stream, Source, this);
            if (!splitter.Run()) _complete = false;
            return splitter.BytesRead;
        }

        /// <summary>
        /// Base64 payloads, one per line, or one wrapped at 64 or 76 columns as <c>base64</c> and <c>openssl</c>
        /// write it: a full-width line means the payload goes on.
        /// </summary>
        private long ReadBase64(Stream stream)
        {
            var reader = new LineReader(stream);
            var payload = new System.Text.StringBuilder();
            long payloadLine = 0;
            int width = 0;
            while (reader.TryRead(out var line, out bool tooLong))
            {
                var text = line.Trim();
                if (tooLong || text.IsEmpty)
                {
                    if (tooLong) _errors.Add(new ReadError(Source, $"line longer than {LineReader.MaxLineBytes >> 20} MiB; skipped", Line: reader.Line));
                    FlushBase64(payload, payloadLine);
                    continue;
                }
                if (payload.Length == 0)
                {
                    payloadLine = reader.Line;
                    width = text.Length;
                }
                payload.Append(text);
                if (width is not (64 or 76) || text.Length != width) FlushBase64(payload, payloadLine);
            }
            FlushBase64(payload, payloadLine);
            return reader.BytesRead;
        }

        private void FlushBase64(System.Text.StringBuilder payload, long line)
        {
            if (payload.Length == 0) return;
            var text = payload.ToString();
            payload.Clear();
            var bytes = new byte[text.Length / 4 * 3 + 3];
            if (!Convert.TryFromBase64String(text, bytes, out int written))
            {
                _errors.Add(new ReadError(Source, "not base64: a payload here was expected to be base64 of gzip", Line: line));
                return;
            }
            ReadPayload(bytes.AsSpan(0, written), line);
        }

        /// <summary>A decoded payload: gzip of JSON (a subscription payload), or the JSON itself.</summary>
        private void ReadPayload(ReadOnlySpan<byte> payload, long line)
        {
            if (_nesting >= MaxNesting)
            {
                _errors.Add(new ReadError(Source, "payload nested too deeply; skipped", Line: line));
                return;
            }
            var outer = _lineOverride;
            _nesting++;
            _lineOverride ??= line;
            try
            {
                Stream content = new MemoryStream(payload.ToArray(), writable: false);
                if (payload.Length >= 2 && payload[0] == 0x1f && payload[1] == 0x8b) content = new GZipStream(content, CompressionMode.Decompress);
                using (content)
                {
                    var splitter = new RecordSplitter(content, Source, this);
                    if (!splitter.Run()) _complete = false;
                }
            }
            catch (InvalidDataException e)
            {
                _errors.Add(new ReadError(Source, "payload is not valid gzip: " + e.Message, Line: line));
                _complete = false;
            }
            finally
            {
                _nesting--;
                _lineOverride = outer;
            }
        }

        void IRecordSink.OnError(ReadError error)
        {
            _errors.Add(_lineOverride is { } line ? error with { Line = line, ByteOffset = null } : error);
        }

        /// <summary>One JSON record: a subscription payload, an exported event, <c>aws logs</c> output, or a Lambda event.</summary>
        void IRecordSink.OnRecord(ReadOnlyMemory<byte> record, RecordPosition position)
        {
            var json = record.Span;
            var at = new LineCounter(json, _lineOverride ?? position.Line, _lineOverride is not null);
            try
            {
                // First the record's own fields, wherever they sit: the log group may follow the events.
                var reader = new Utf8JsonReader(json);
                reader.Read();
                string? type = null, group = null, stream = null;
                int events = -1, message = -1, awslogs = -1;
                while (reader.Read() && reader.TokenType == JsonTokenType.PropertyName)
                {
                    var name = Name(ref reader);
                    reader.Read();
                    int start = (int)reader.TokenStartIndex;
                    switch (name)
                    {
                        case Field.MessageType when reader.TokenType == JsonTokenType.String: type = reader.GetString(); break;
                        case Field.LogGroup when reader.TokenType == JsonTokenType.String: group = reader.GetString(); break;
                        case Field.LogStream when reader.TokenType == JsonTokenType.String: stream = reader.GetString(); break;
                        case Field.Events when reader.TokenType == JsonTokenType.StartArray: events = start; break;
                        case Field.Message when reader.TokenType == JsonTokenType.String: message = start; break;
                        case Field.AwsLogs when reader.TokenType == JsonTokenType.StartObject: awslogs = start; break;
                    }
                    reader.Skip();
                }
                if (type == "CONTROL_MESSAGE") return;
                if (awslogs >= 0) ReadAwsLogs(json[awslogs..], at.At(awslogs));
                else if (events >= 0) ReadEvents(json, events, group, stream, ref at);
                else if (message >= 0) Feed(Parser(group, stream), json[message..], at.At(message));
                else
                {
                    _errors.Add(new ReadError(Source, "JSON record without a log message (no \"message\" or \"logEvents\"); skipped",
                        position.Index, _lineOverride is null ? position.ByteOffset : null, at.At(0)));
                }
            }
            catch (JsonException e)
            {
                _errors.Add(new ReadError(Source, "invalid JSON in record: " + e.Message, position.Index,
                    _lineOverride is null ? position.ByteOffset : null, at.At(0)));
            }
        }

        /// <summary><c>"logEvents":[{"id":"...","timestamp":...,"message":"..."}]</c>, or <c>"events"</c> with <c>logStreamName</c> in each.</summary>
        private void ReadEvents(ReadOnlySpan<byte> json, int start, string? group, string? stream, ref LineCounter at)
        {
            var reader = new Utf8JsonReader(json[start..]);
            reader.Read();
            string? eventStream = null;
            while (reader.Read() && reader.TokenType != JsonTokenType.EndArray)
            {
                if (reader.TokenType != JsonTokenType.StartObject)
                {
                    _errors.Add(new ReadError(Source, "log event is not a JSON object; skipped", Line: at.At(start + (int)reader.TokenStartIndex)));
                    reader.Skip();
                    continue;
                }
                int message = -1;
                while (reader.Read() && reader.TokenType == JsonTokenType.PropertyName)
                {
                    var name = Name(ref reader);
                    reader.Read();
                    if (name == Field.Message && reader.TokenType == JsonTokenType.String) message = start + (int)reader.TokenStartIndex;
                    else if (name == Field.LogStream && reader.TokenType == JsonTokenType.String && (eventStream is null || !reader.ValueTextEquals(eventStream)))
                        eventStream = reader.GetString();
                    reader.Skip();
                }
                if (message < 0)
                {
                    _errors.Add(new ReadError(Source, "log event without a message; skipped", Line: at.At(start + (int)reader.TokenStartIndex)));
                    continue;
                }
                Feed(Parser(group, eventStream ?? stream), json[message..], at.At(message));
            }
        }

        /// <summary>A Lambda event as CloudWatch Logs invokes it: <c>{"awslogs":{"data":"H4sI..."}}</c>.</summary>
        private void ReadAwsLogs(ReadOnlySpan<byte> json, long line)
        {
            var reader = new Utf8JsonReader(json);
            reader.Read();
            while (reader.Read() && reader.TokenType == JsonTokenType.PropertyName)
            {
                bool data = reader.ValueTextEquals("data"u8);
                reader.Read();
                if (data && reader.TokenType == JsonTokenType.String)
                {
                    var text = reader.GetString()!;
                    var bytes = new byte[text.Length / 4 * 3 + 3];
                    if (Convert.TryFromBase64String(text, bytes, out int written)) ReadPayload(bytes.AsSpan(0, written), line);
                    else _errors.Add(new ReadError(Source, "awslogs.data is not base64", Line: line));
                    return;
                }
                reader.Skip();
            }
            _errors.Add(new ReadError(Source, "awslogs without data; skipped", Line: line));
        }

        /// <summary>Feeds a JSON string holding one log event: one line, or a PostgreSQL message with its TAB-led continuation lines.</summary>
        private void Feed(ILoginLogParser? parser, ReadOnlySpan<byte> json, long line)
        {
            var reader = new Utf8JsonReader(json);
            reader.Read();
            if (parser is null)
            {
                _skippedLines++;
                return;
            }
            if (_chars.Length < reader.ValueSpan.Length) _chars = new char[Math.Max(reader.ValueSpan.Length, _chars.Length * 2)];
            var text = _chars.AsSpan(0, reader.CopyString(_chars));
            while (true)
            {
                int nl = text.IndexOf('\n');
                if (nl < 0)
                {
                    if (!text.IsEmpty) parser.Feed(text, line);
                    break;
                }
                parser.Feed(text[..nl], line);
                text = text[(nl + 1)..];
            }
            if (parser.Events.Count > 0) Drain(parser);
        }

        /// <summary>The parser for a log group and stream, made on first use; null for groups without logins (error, slowquery...).</summary>
        private ILoginLogParser? Parser(string? group, string? stream)
        {
            if (_hasLast && string.Equals(group, _lastGroup, StringComparison.Ordinal) && string.Equals(stream, _lastStream, StringComparison.Ordinal))
                return _lastParser;
            string key = (group ?? "") + "\n" + (stream ?? "");
            if (!_parsers.TryGetValue(key, out var parser))
            {
                parser = Create(group, stream);
                _parsers[key] = parser;
                if (parser is not null) _order.Add(parser);
            }
            (_lastGroup, _lastStream, _lastParser, _hasLast) = (group, stream, parser, true);
            return parser;
        }

        private ILoginLogParser? Create(string? group, string? stream)
        {
            var kind = _kind;
            if (options.Kind == LogKind.Unknown && group is not null)
            {
                var ofGroup = KindOfGroup(group, out bool other);
                if (other) return null;
                if (ofGroup is { } k) kind = k;
            }
            if (!TryGroupIdentity(group, stream, out var database, out var cluster))
            {
                database = options.DbInstance ?? (string.IsNullOrEmpty(stream) ? FileStem(input, _layout == LogLayout.ExportLines) : stream);
                cluster = null;
            }
            return kind switch
            {
                LogKind.PostgreSql => new PostgresLogParser(Source, database, cluster, options.IncompleteTimeout),
                LogKind.MySqlAudit => new MySqlAuditParser(Source, database, cluster),
                _ => null,
            };
        }

        private void Drain(ILoginLogParser parser)
        {
            var events = parser.Events;
            if (onEvent is null) _events.AddRange(events);
            else
            {
                foreach (var e in events) onEvent(e);
            }
            events.Clear();
        }

        private enum Field : byte
        {
            Other,
            MessageType,
            LogGroup,
            LogStream,
            Events,
            Message,
            AwsLogs,
        }

        private static Field Name(ref Utf8JsonReader reader) =>
            reader.ValueTextEquals("message"u8) ? Field.Message
            : reader.ValueTextEquals("logEvents"u8) || reader.ValueTextEquals("events"u8) ? Field.Events
            : reader.ValueTextEquals("logGroup"u8) ? Field.LogGroup
            : reader.ValueTextEquals("logStream"u8) || reader.ValueTextEquals("logStreamName"u8) ? Field.LogStream
            : reader.ValueTextEquals("messageType"u8) ? Field.MessageType
            : reader.ValueTextEquals("awslogs"u8) ? Field.AwsLogs
            : Field.Other;
    }

    /// <summary>
    /// Line numbers of offsets in a record, counted forward from the last one asked: the events of one large
    /// subscription payload on a single line would otherwise be counted from the start each time.
    /// </summary>
    private ref struct LineCounter(ReadOnlySpan<byte> json, long firstLine, bool fixedLine)
    {
        private readonly ReadOnlySpan<byte> _json = json;
        private readonly long _first = firstLine;
        private readonly bool _fixed = fixedLine;
        private int _offset;
        private long _line = firstLine;

        public long At(int offset)
        {
            if (_fixed) return _line;
            if (offset < _offset)
            {
                _offset = 0;
                _line = _first;
            }
            _line += _json[_offset..offset].Count((byte)'\n');
            _offset = offset;
            return _line;
        }
    }
}
