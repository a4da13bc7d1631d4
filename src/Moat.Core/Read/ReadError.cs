namespace Moat.Read;

/// <summary>
/// An input that could not be read completely: a file that does not exist, a truncated gzip member,
/// invalid JSON, a record that is not an object. Carries enough position to find the spot again.
/// </summary>
public sealed record ReadError(string Source, string Reason, long? Record = null, long? ByteOffset = null, long? Line = null)
{
    public override string ToString()
    {
        var where = new System.Text.StringBuilder(Source);
        if (Line is { } l) where.Append(':').Append(l);
        if (Record is { } r) where.Append(": record ").Append(r);
        if (ByteOffset is { } b) where.Append(Record is null ? ": " : " ").Append("(byte ").Append(b).Append(')');
        return where.Append(": ").Append(Reason).ToString();
    }
}

/// <summary>Where a record sits in its input, for error messages and for finding the full record again.</summary>
public readonly record struct RecordPosition(long Index, long ByteOffset, long Line);
