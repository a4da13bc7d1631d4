namespace Moat.Rules;

/// <summary>
/// A YAML value as plain data with its position. Scalars remember whether they were quoted, because
/// <c>fromPort: 22</c> is a number in a test event while <c>fromPort: "22"</c> is a string.
/// </summary>
public abstract record YValue(SourceSpan Span);

public sealed record YScalar(string Value, bool Quoted, SourceSpan Span) : YValue(Span)
{
    /// <summary>Where the text itself begins: after an opening quote, or on the first line of a | or > block.</summary>
    public SourceSpan Content { get; init; } = Span;

    /// <summary>Plain <c>null</c>, <c>~</c> or an empty plain value.</summary>
    public bool IsNull => !Quoted && (Value is "" or "~" or "null" or "Null" or "NULL");
}

public sealed record YSequence(IReadOnlyList<YValue> Items, SourceSpan Span) : YValue(Span);

public sealed record YMapping(IReadOnlyList<KeyValuePair<YScalar, YValue>> Entries, SourceSpan Span) : YValue(Span)
{
    public YValue? this[string key]
    {
        get
        {
            foreach (var e in Entries)
                if (e.Key.Value == key) return e.Value;
            return null;
        }
    }
}
