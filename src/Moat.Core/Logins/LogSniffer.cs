using System.IO.Compression;
using System.Text;
using System.Text.Json;

namespace Moat.Logins;

/// <summary>How the lines of a log are packed in an input.</summary>
internal enum LogLayout : byte
{
    /// <summary>The log file itself, one line per line.</summary>
    Lines,

    /// <summary>A CloudWatch Logs export to S3: <c>2024-08-03T14:44:05.000Z &lt;raw line&gt;</c>.</summary>
    ExportLines,

    /// <summary>JSON: CloudWatch subscription payloads, exported log events, <c>aws logs</c> output, CloudTrail.</summary>
    Json,

    /// <summary>Base64 of gzip, as a Lambda's <c>awslogs.data</c> or a Kinesis record carries a subscription payload.</summary>
    Base64,
}

internal readonly record struct SniffResult(LogKind Kind, LogLayout Layout);

/// <summary>
/// Tells from the first bytes of an input what log it is and how it is packed. Looks at up to
/// <see cref="SampleLines"/> lines and lets the majority decide, so a stray banner line does not.
/// </summary>
internal static class LogSniffer
{
    internal const int HeadBytes = 64 << 10;
    private const int SampleLines = 40;

    internal static SniffResult Sniff(ReadOnlySpan<byte> head, bool whole) => Sniff(head, whole, depth: 0);

    private static SniffResult Sniff(ReadOnlySpan<byte> head, bool whole, int depth)
    {
        if (head.StartsWith((ReadOnlySpan<byte>)[0xEF, 0xBB, 0xBF])) head = head[3..];
        var body = head.TrimStart(" \t\r\n"u8);
        if (body.IsEmpty) return new(LogKind.Unknown, LogLayout.Lines);
        if (body[0] is (byte)'{' or (byte)'[') return new(SniffJson(body, whole, depth), LogLayout.Json);
        // "H4sI" is base64 for the gzip magic and method bytes 1f 8b 08.
        if (body.StartsWith("H4sI"u8)) return new(depth < 2 ? SniffBase64(body, depth) : LogKind.Unknown, LogLayout.Base64);
        return SniffText(head, whole);
    }

    private static SniffResult SniffText(ReadOnlySpan<byte> head, bool whole)
    {
        int pg = 0, my = 0, trail = 0, lines = 0, exported = 0;
        var rest = head;
        Span<char> chars = stackalloc char[1024];
        while (!rest.IsEmpty && lines < SampleLines)
        {
            int nl = rest.IndexOf((byte)'\n');
            // The last line of a cut head may be cut too; judge it only when it is all there is.
            if (nl < 0 && !whole && lines > 0) break;
            var raw = nl < 0 ? rest : rest[..nl];
            rest = nl < 0 ? default : rest[(nl + 1)..];
            if (raw.Length > chars.Length) raw = raw[..chars.Length];
            int n = Encoding.UTF8.GetChars(raw, chars);
            var line = chars[..n].TrimEnd('\r');
            if (line.IsEmpty || line[0] == '\t') continue;
            lines++;
            int prefix = LogTime.ExportPrefixLength(line);
            if (prefix > 0)
            {
                exported++;
                line = line[prefix..];
            }
            switch (KindOfLine(line))
            {
                case LogKind.PostgreSql: pg++; break;
                case LogKind.MySqlAudit: my++; break;
                case LogKind.CloudTrail: trail++; break;
            }
        }
        var layout = exported > 0 && exported * 2 >= lines ? LogLayout.ExportLines : LogLayout.Lines;
        if (trail > 0 && trail >= pg && trail >= my)
        {
            // CloudTrail as a CloudWatch export ("2024-...Z {json}") is the CloudTrail reader's.
            return new(LogKind.CloudTrail, LogLayout.Json);
        }
        if (pg == 0 && my == 0) return new(LogKind.Unknown, layout);
        return new(pg >= my ? LogKind.PostgreSql : LogKind.MySqlAudit, layout);
    }

    /// <summary>What one raw log line looks like: a PostgreSQL line, an audit row, a CloudTrail event, or neither.</summary>
    internal static LogKind KindOfLine(ReadOnlySpan<char> line)
    {
        if (line.IsEmpty) return LogKind.Unknown;
        if (line[0] == '{')
            return line.Contains("\"eventVersion\"", StringComparison.Ordinal) ? LogKind.CloudTrail : LogKind.Unknown;
        if (IsAuditRow(line)) return LogKind.MySqlAudit;
        var f = default(PgLine);
        bool zone = false;
        foreach (var prefix in PostgresLinePrefix.Known)
        {
            if (prefix.TryMatch(line, ref f, ref zone)) return LogKind.PostgreSql;
        }
        return PostgresLinePrefix.TryMatchLoose(line, ref f, ref zone) || zone ? LogKind.PostgreSql : LogKind.Unknown;
    }

    /// <summary>A timestamp field, then at least nine more commas, and an upper-case operation in the seventh field.</summary>
    private static bool IsAuditRow(ReadOnlySpan<char> line)
    {
        int comma = line.IndexOf(',');
        if (comma < 0) return false;
        if (!LogTime.TryParseEpochMicros(line[..comma], out _) && !LogTime.TryParseCompact(line[..comma], out _)) return false;
        var rest = line[(comma + 1)..];
        for (int field = 2; field <= 6; field++)
        {
            comma = rest.IndexOf(',');
            if (comma < 0) return false;
            rest = rest[(comma + 1)..];
        }
        comma = rest.IndexOf(',');
        if (comma <= 0) return false;
        foreach (char c in rest[..comma])
        {
            if (!char.IsAsciiLetterUpper(c) && c != '_') return false;
        }
        return rest[comma..].Count(',') >= 3;
    }

    /// <summary>
    /// Walks the JSON tokens of the head, stopping at the first that decides: a CloudTrail field, the log group
    /// of a subscription payload (<c>/aws/rds/.../postgresql</c>), or a log event's message read as a line.
    /// </summary>
    private static LogKind SniffJson(ReadOnlySpan<byte> json, bool whole, int depth)
    {
        var reader = new Utf8JsonReader(json, whole, new JsonReaderState(new JsonReaderOptions { AllowMultipleValues = true }));
        var property = Property.None;
        try
        {
            while (reader.Read())
            {
                if (reader.TokenType == JsonTokenType.PropertyName)
                {
                    if (reader.ValueTextEquals("eventVersion"u8) || reader.ValueTextEquals("eventSource"u8) || reader.ValueTextEquals("userIdentity"u8))
                        return LogKind.CloudTrail;
                    property = reader.ValueTextEquals("logGroup"u8) ? Property.LogGroup
                        : reader.ValueTextEquals("message"u8) ? Property.Message
                        : reader.ValueTextEquals("data"u8) ? Property.Data
                        : Property.None;
                    continue;
                }
                if (reader.TokenType == JsonTokenType.String && property != Property.None)
                {
                    var value = reader.GetString()!;
                    var kind = property switch
                    {
                        Property.LogGroup => LoginLogReader.KindOfGroup(value, out _) ?? LogKind.Unknown,
                        Property.Message => KindOfMessage(value),
                        _ => depth < 2 && value.StartsWith("H4sI", StringComparison.Ordinal) ? SniffBase64(Encoding.ASCII.GetBytes(value), depth) : LogKind.Unknown,
                    };
                    if (kind != LogKind.Unknown) return kind;
                }
                property = Property.None;
            }
        }
        catch (JsonException)
        {
        }
        return LogKind.Unknown;
    }

    private enum Property : byte
    {
        None,
        LogGroup,
        Message,
        Data,
    }

    private static LogKind KindOfMessage(string message)
    {
        int nl = message.IndexOf('\n');
        return KindOfLine((nl < 0 ? message.AsSpan() : message.AsSpan(0, nl)).TrimEnd('\r'));
    }

    /// <summary>Decodes what base64 the head holds (wrapped or not), undoes the gzip as far as it goes, and sniffs that.</summary>
    private static LogKind SniffBase64(ReadOnlySpan<byte> text, int depth)
    {
        var chars = new List<byte>(Math.Min(text.Length, HeadBytes));
        foreach (byte b in text)
        {
            if (b is (byte)'\r' or (byte)'\n') continue;
            if (!(char.IsAsciiLetterOrDigit((char)b) || b is (byte)'+' or (byte)'/')) break;
            chars.Add(b);
        }
        int usable = chars.Count / 4 * 4;
        var bytes = new byte[usable / 4 * 3];
        if (System.Buffers.Text.Base64.DecodeFromUtf8(System.Runtime.InteropServices.CollectionsMarshal.AsSpan(chars)[..usable], bytes, out _, out int written)
            != System.Buffers.OperationStatus.Done) return LogKind.Unknown;
        var inflated = Inflate(bytes.AsSpan(0, written), HeadBytes, out bool whole);
        return Sniff(inflated, whole, depth + 1).Kind;
    }

    /// <summary>Up to <paramref name="limit"/> bytes of a gzip member that may be cut short.</summary>
    internal static byte[] Inflate(ReadOnlySpan<byte> gzip, int limit, out bool whole)
    {
        var output = new byte[limit];
        int got = 0;
        whole = false;
        try
        {
            using var gz = new GZipStream(new MemoryStream(gzip.ToArray()), CompressionMode.Decompress);
            while (got < limit)
            {
                int n = gz.Read(output, got, limit - got);
                if (n == 0)
                {
                    whole = true;
                    break;
                }
                got += n;
            }
        }
        catch (Exception e) when (e is InvalidDataException or EndOfStreamException or IOException)
        {
        }
        return output[..got];
    }
}
