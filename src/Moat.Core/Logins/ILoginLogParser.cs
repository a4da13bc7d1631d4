using Moat.Read;

namespace Moat.Logins;

/// <summary>
/// Turns the lines of one database log into <see cref="LoginEvent"/>s. One instance per input (or per log
/// stream of an input): parsers keep per-connection state between lines.
/// </summary>
/// <remarks>
/// <see cref="Events"/> only ever receives decided events; the caller may take them out (and clear the list)
/// between calls to <see cref="Feed(string, long)"/> to keep memory flat on large inputs. Bad lines never throw:
/// they land in <see cref="Errors"/> and the next line is read as usual.
/// </remarks>
public interface ILoginLogParser
{
    /// <summary>
    /// Malformed lines kept with their position per parser; the rest are counted. A file of the wrong kind
    /// would otherwise hold one error per line in memory.
    /// </summary>
    const int MaxErrors = 1000;

    LogKind Kind { get; }

    /// <summary>Login attempts decided so far, in the order they were decided.</summary>
    List<LoginEvent> Events { get; }

    /// <summary>Lines that could not be read, with file, line and reason (the first <see cref="MaxErrors"/>).</summary>
    List<ReadError> Errors { get; }

    long LinesRead { get; }

    /// <summary>Well-formed lines that say nothing about logins (statements, checkpoints, queries...).</summary>
    long LinesIgnored { get; }

    long LinesMalformed { get; }

    void Feed(string line, long lineNumber);

    /// <summary>As <see cref="Feed(string, long)"/>, without making a string of the line first.</summary>
    void Feed(ReadOnlySpan<char> line, long lineNumber);

    /// <summary>End of input: decides every connection still open.</summary>
    void Finish();
}

/// <summary>What every login log parser keeps: the decided events, the bad lines and the line counts.</summary>
public abstract class LoginLogParserBase : ILoginLogParser
{
    public abstract LogKind Kind { get; }

    public List<LoginEvent> Events { get; } = [];

    public List<ReadError> Errors { get; } = [];

    public long LinesRead { get; protected set; }

    public long LinesIgnored { get; protected set; }

    public long LinesMalformed { get; protected set; }

    public void Feed(string line, long lineNumber) => Feed(line.AsSpan(), lineNumber);

    public abstract void Feed(ReadOnlySpan<char> line, long lineNumber);

    public abstract void Finish();
}
