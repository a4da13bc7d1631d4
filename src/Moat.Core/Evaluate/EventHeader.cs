using System.Text.Json;

namespace Moat.Evaluate;

/// <summary>
/// The cheap first look at a record: one forward pass of <see cref="Utf8JsonReader"/> that validates the
/// JSON and notes where eventSource, eventName and an EventBridge <c>detail</c> sit, without making a
/// string or a document. Almost every CloudTrail event stops here (no rule is indexed under its name).
/// </summary>
internal ref struct EventHeader
{
    public ReadOnlySpan<byte> EventSource;
    public ReadOnlySpan<byte> EventName;
    public bool SourceEscaped;
    public bool NameEscaped;
    public int DetailStart;
    public int DetailLength;
    public bool HasDetailType;
    public bool HasMessage;
    public bool HasLogEvents;

    // For the activity index: who did what, when, from where (raw JSON string contents, still escaped).
    public ReadOnlySpan<byte> EventTime;
    public ReadOnlySpan<byte> SourceIp;
    public ReadOnlySpan<byte> ErrorCode;
    public ReadOnlySpan<byte> Account;
    public ReadOnlySpan<byte> PrincipalArn;
    public ReadOnlySpan<byte> AccessKey;
    public ReadOnlySpan<byte> IdentityAccount;

    /// <summary>
    /// Returns null on success, else why the record is unusable, with the byte offset inside the record and
    /// the number of line breaks before that byte (records may be pretty-printed over many lines).
    /// </summary>
    public static string? Read(ReadOnlySpan<byte> json, out EventHeader header, out long errorOffset, out long errorLine)
    {
        header = default;
        header.DetailStart = -1;
        errorOffset = 0;
        errorLine = 0;
        var reader = new Utf8JsonReader(json, new JsonReaderOptions { CommentHandling = JsonCommentHandling.Disallow, MaxDepth = 256 });
        try
        {
            if (!reader.Read()) return "empty record";
            if (reader.TokenType != JsonTokenType.StartObject)
                return $"record is not an object (found {reader.TokenType})";
            while (reader.Read())
            {
                if (reader.TokenType == JsonTokenType.EndObject) break;
                // Property name at depth 1.
                int which = reader.ValueTextEquals("eventName"u8) ? 1
                    : reader.ValueTextEquals("eventSource"u8) ? 2
                    : reader.ValueTextEquals("detail"u8) ? 3
                    : reader.ValueTextEquals("detail-type"u8) ? 4
                    : reader.ValueTextEquals("message"u8) ? 5
                    : reader.ValueTextEquals("logEvents"u8) ? 6
                    : reader.ValueTextEquals("eventTime"u8) ? 7
                    : reader.ValueTextEquals("sourceIPAddress"u8) ? 8
                    : reader.ValueTextEquals("errorCode"u8) ? 9
                    : reader.ValueTextEquals("recipientAccountId"u8) ? 10
                    : reader.ValueTextEquals("userIdentity"u8) ? 11 : 0;
                reader.Read();
                switch (reader.TokenType)
                {
                    case JsonTokenType.String:
                        if (which == 1) { header.EventName = reader.ValueSpan; header.NameEscaped = reader.ValueIsEscaped; }
                        else if (which == 2) { header.EventSource = reader.ValueSpan; header.SourceEscaped = reader.ValueIsEscaped; }
                        else if (which == 4) header.HasDetailType = true;
                        else if (which == 5) header.HasMessage = true;
                        else if (which == 7) header.EventTime = reader.ValueSpan;
                        else if (which == 8) header.SourceIp = reader.ValueSpan;
                        else if (which == 9) header.ErrorCode = reader.ValueSpan;
                        else if (which == 10) header.Account = reader.ValueSpan;
                        break;
                    case JsonTokenType.StartObject:
                    case JsonTokenType.StartArray:
                    {
                        int start = (int)reader.TokenStartIndex;
                        bool isObject = reader.TokenType == JsonTokenType.StartObject;
                        if (which == 6 && !isObject) header.HasLogEvents = true;
                        if (which == 11 && isObject)
                        {
                            // userIdentity: read its own strings (arn, accessKeyId, accountId), skip deeper objects.
                            while (reader.Read() && reader.TokenType != JsonTokenType.EndObject)
                            {
                                int inner = reader.ValueTextEquals("arn"u8) ? 1 : reader.ValueTextEquals("accessKeyId"u8) ? 2 : reader.ValueTextEquals("accountId"u8) ? 3 : 0;
                                reader.Read();
                                if (reader.TokenType == JsonTokenType.String)
                                {
                                    if (inner == 1) header.PrincipalArn = reader.ValueSpan;
                                    else if (inner == 2) header.AccessKey = reader.ValueSpan;
                                    else if (inner == 3) header.IdentityAccount = reader.ValueSpan;
                                }
                                else if (reader.TokenType is JsonTokenType.StartObject or JsonTokenType.StartArray) reader.Skip();
                            }
                            break;
                        }
                        reader.Skip();
                        if (which == 3 && isObject)
                        {
                            header.DetailStart = start;
                            header.DetailLength = (int)reader.BytesConsumed - start;
                        }
                        break;
                    }
                }
            }
            // Trailing content after the object (e.g. "{...} x" on one JSON Lines line) is an error too.
            if (reader.Read()) return "unexpected content after the record";
            return null;
        }
        catch (JsonException e)
        {
            // BytePositionInLine counts from the last line break, not from the start of the record.
            if (e.LineNumber is { } line && e.BytePositionInLine is { } column)
            {
                errorLine = line;
                errorOffset = StartOfLine(json, line) + column;
            }
            else
            {
                errorOffset = reader.BytesConsumed;
            }
            return "invalid JSON: " + TrimJsonMessage(e.Message);
        }
    }

    /// <summary>Offset of the first byte after the <paramref name="line"/>-th '\n' (line 0 starts at 0).</summary>
    private static long StartOfLine(ReadOnlySpan<byte> json, long line)
    {
        int start = 0;
        for (long n = 0; n < line; n++)
        {
            int k = json[start..].IndexOf((byte)'\n');
            if (k < 0) break;
            start += k + 1;
        }
        return start;
    }

    private static string TrimJsonMessage(string m)
    {
        // System.Text.Json appends "LineNumber: 0 | BytePositionInLine: 12." which our own position replaces.
        int cut = m.IndexOf(" LineNumber:", StringComparison.Ordinal);
        return (cut > 0 ? m[..cut] : m).TrimEnd('.', ' ');
    }
}
