namespace Moat.Cli;

/// <summary>A usage error, rendered with a caret under the offending argument.</summary>
internal sealed class UsageException(string message, int argIndex = -1) : Exception(message)
{
    public int ArgIndex { get; } = argIndex;
}

/// <summary>
/// The parsed command line of one verb: positional arguments, flags and option values. Options take
/// <c>--name value</c> or <c>--name=value</c>; <c>--</c> ends options; a lone <c>-</c> is positional (stdin).
/// </summary>
internal sealed class ParsedArgs
{
    public List<string> Positionals { get; } = [];
    public HashSet<string> Flags { get; } = [];
    public Dictionary<string, List<string>> Values { get; } = [];

    public string? Value(string name) => Values.TryGetValue(name, out var v) ? v[^1] : null;
    public IReadOnlyList<string> All(string name) => Values.TryGetValue(name, out var v) ? v : [];
    public bool Has(string name) => Flags.Contains(name);

    public static ParsedArgs Parse(string[] args, int start, IReadOnlySet<string> flags, IReadOnlySet<string> valued,
        IReadOnlyDictionary<string, string>? aliases = null)
    {
        var p = new ParsedArgs();
        bool optionsDone = false;
        for (int i = start; i < args.Length; i++)
        {
            var a = args[i];
            if (optionsDone || a == "-" || !a.StartsWith('-'))
            {
                p.Positionals.Add(a);
                continue;
            }
            if (a == "--") { optionsDone = true; continue; }
            string name = a;
            string? value = null;
            int eq = a.IndexOf('=');
            if (a.StartsWith("--", StringComparison.Ordinal) && eq > 0) { name = a[..eq]; value = a[(eq + 1)..]; }
            if (aliases is not null && aliases.TryGetValue(name, out var canonical)) name = canonical;
            if (flags.Contains(name))
            {
                if (value is not null) throw new UsageException($"option '{name}' takes no value", i);
                p.Flags.Add(name);
            }
            else if (valued.Contains(name))
            {
                if (value is null)
                {
                    if (i + 1 >= args.Length) throw new UsageException($"option '{name}' needs a value", i);
                    value = args[++i];
                }
                if (!p.Values.TryGetValue(name, out var list)) p.Values[name] = list = [];
                list.Add(value);
            }
            else
            {
                var known = flags.Concat(valued).Order().ToList();
                var near = known.FirstOrDefault(k => k.StartsWith(name, StringComparison.Ordinal) || name.StartsWith(k, StringComparison.Ordinal));
                throw new UsageException($"unknown option '{name}'" + (near is null ? "" : $" (did you mean '{near}'?)"), i);
            }
        }
        return p;
    }
}
