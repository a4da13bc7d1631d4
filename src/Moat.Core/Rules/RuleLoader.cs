using Moat.Compile;
using Moat.Rules.Sigma;

namespace Moat.Rules;

/// <summary>The outcome of loading rules: what compiled, and every diagnostic met on the way.</summary>
public sealed record RuleLoadResult(IReadOnlyList<CompiledRule> Rules, IReadOnlyList<Diagnostic> Diagnostics)
{
    public bool HasErrors => Diagnostics.Any(d => d.Level == DiagnosticLevel.Error);

    /// <summary>Sigma correlation rules, their references checked against the loaded rules.</summary>
    public IReadOnlyList<SigmaCorrelation> Correlations { get; init; } = [];

    /// <summary>Things worth saying that are not problems (a Sigma rule for another log source, skipped).</summary>
    public IReadOnlyList<string> Notes { get; init; } = [];
}

/// <summary>
/// Loads rule files (built-in ones from the assembly, others from folders): read → compile for each file,
/// collecting diagnostics. A bad rule never stops the others.
/// </summary>
public static class RuleLoader
{
    private const string BuiltinPrefix = "rules/";

    /// <summary>Built-in rule files as (display name, text), in a stable order.</summary>
    public static IReadOnlyList<(string Name, string Text)> BuiltinFiles()
    {
        var asm = typeof(RuleLoader).Assembly;
        var list = new List<(string, string)>();
        foreach (var name in asm.GetManifestResourceNames().Order(StringComparer.Ordinal))
        {
            if (!name.StartsWith(BuiltinPrefix, StringComparison.Ordinal)) continue;
            using var s = asm.GetManifestResourceStream(name)!;
            using var r = new StreamReader(s);
            list.Add(("builtin:" + name[BuiltinPrefix.Length..], r.ReadToEnd()));
        }
        return list;
    }

    /// <summary>Rule files under a folder (recursive), or the file itself.</summary>
    public static IReadOnlyList<(string Name, string Text)> FilesIn(string path, List<Diagnostic> diagnostics)
    {
        var list = new List<(string, string)>();
        try
        {
            IEnumerable<string> files;
            if (File.Exists(path)) files = [path];
            else if (Directory.Exists(path))
                files = Directory.EnumerateFiles(path, "*", SearchOption.AllDirectories)
                    .Where(f => f.EndsWith(".yaml", StringComparison.OrdinalIgnoreCase) || f.EndsWith(".yml", StringComparison.OrdinalIgnoreCase))
                    .Order(StringComparer.Ordinal);
            else
            {
                diagnostics.Add(new Diagnostic(DiagnosticCodes.UnreadableFile, DiagnosticLevel.Error, SourceSpan.None(path), "no such rule file or folder"));
                return list;
            }
            foreach (var f in files)
            {
                try { list.Add((f, File.ReadAllText(f))); }
                catch (Exception e) when (e is IOException or UnauthorizedAccessException)
                {
                    diagnostics.Add(new Diagnostic(DiagnosticCodes.UnreadableFile, DiagnosticLevel.Error, SourceSpan.None(f), e.Message));
                }
            }
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            diagnostics.Add(new Diagnostic(DiagnosticCodes.UnreadableFile, DiagnosticLevel.Error, SourceSpan.None(path), e.Message));
        }
        return list;
    }

    /// <summary>Loads the built-in rules (unless <paramref name="includeBuiltin"/> is false) and the given folders.</summary>
    public static RuleLoadResult Load(bool includeBuiltin, IEnumerable<string> folders, SigmaOptions? sigma = null)
    {
        var diagnostics = new List<Diagnostic>();
        var files = new List<(string, string)>();
        if (includeBuiltin) files.AddRange(BuiltinFiles());
        foreach (var f in folders) files.AddRange(FilesIn(f, diagnostics));
        return LoadTexts(files, diagnostics, sigma);
    }

    /// <summary>
    /// Read every file (Moat rules, and Sigma rules, correlations and filters recognised by content), apply
    /// Sigma filters to the rules they name, compile, and check correlation references.
    /// </summary>
    public static RuleLoadResult LoadTexts(IEnumerable<(string Name, string Text)> files, List<Diagnostic>? diagnostics = null, SigmaOptions? sigma = null)
    {
        diagnostics ??= [];
        int firstNew = diagnostics.Count;
        var fileOrder = new Dictionary<string, int>(StringComparer.Ordinal);
        var docs = new List<RuleDocument>();
        var correlations = new List<SigmaCorrelation>();
        var filters = new List<SigmaFilter>();
        var notes = new List<string>();
        foreach (var (name, text) in files)
        {
            fileOrder.TryAdd(name, fileOrder.Count);
            var yaml = RuleReader.ParseYaml(text, name, diagnostics);
            if (yaml is null) continue;
            if (SigmaReader.LooksLikeSigma(yaml))
            {
                var s = SigmaReader.Read(yaml, name, sigma ?? SigmaOptions.Empty, diagnostics, notes);
                docs.AddRange(s.Rules);
                correlations.AddRange(s.Correlations);
                filters.AddRange(s.Filters);
                continue;
            }
            if (yaml.Count != 1)
            {
                diagnostics.Add(new Diagnostic(DiagnosticCodes.WrongType, DiagnosticLevel.Error, new SourceSpan(name, 1, 1),
                    yaml.Count == 0 ? "the file is empty" : "a rule file holds exactly one rule (one YAML document)"));
                continue;
            }
            if (RuleReader.ReadRule(yaml[0], name, diagnostics) is { } doc) docs.Add(doc);
        }

        foreach (var f in filters)
        {
            foreach (var target in f.Rules)
            {
                int hits = 0;
                for (int i = 0; i < docs.Count; i++)
                {
                    if (docs[i].Id != target && docs[i].SigmaName != target) continue;
                    docs[i] = docs[i] with { Condition = new AllSyntax([docs[i].Condition, f.Condition], f.Span) };
                    hits++;
                }
                if (hits == 0)
                    diagnostics.Add(new Diagnostic(DiagnosticCodes.SigmaReference, DiagnosticLevel.Warning, f.Span, $"filter '{f.Id}' names rule '{target}', which is not loaded"));
            }
        }

        var rules = new List<CompiledRule>();
        var ids = new Dictionary<string, SourceSpan>(StringComparer.Ordinal);
        foreach (var doc in docs)
        {
            if (ids.TryGetValue(doc.Id, out var first))
            {
                diagnostics.Add(new Diagnostic(DiagnosticCodes.DuplicateId, DiagnosticLevel.Error, doc.Span,
                    $"rule id '{doc.Id}' is already defined at {first}; this one is not loaded"));
                continue;
            }
            var compiled = RuleCompiler.Compile(doc, diagnostics);
            if (compiled is null) continue;
            ids[doc.Id] = doc.Span;
            rules.Add(compiled);
        }

        var goodCorrelations = new List<SigmaCorrelation>();
        foreach (var c in correlations)
        {
            bool ok = true;
            foreach (var r in c.Rules)
            {
                bool known = rules.Any(x => x.Id == r || x.Document.SigmaName == r) || correlations.Any(o => o != c && (o.Id == r || o.Name == r));
                if (known) continue;
                diagnostics.Add(new Diagnostic(DiagnosticCodes.SigmaReference, DiagnosticLevel.Error, c.Span, $"correlation '{c.Id}' names rule '{r}', which is not loaded"));
                ok = false;
            }
            if (ids.ContainsKey(c.Id))
            {
                diagnostics.Add(new Diagnostic(DiagnosticCodes.DuplicateId, DiagnosticLevel.Error, c.Span, $"id '{c.Id}' is already used by a rule"));
                ok = false;
            }
            if (ok) goodCorrelations.Add(c);
        }
        // Reading and compiling report in two passes; show each file's problems together, in file order.
        var mine = diagnostics.Skip(firstNew)
            .Select((d, i) => (d, i))
            .OrderBy(x => fileOrder.TryGetValue(x.d.Span.File, out var o) ? o : int.MaxValue)
            .ThenBy(x => x.d.Span.Line).ThenBy(x => x.d.Span.Column).ThenBy(x => x.i)
            .Select(x => x.d).ToList();
        diagnostics.RemoveRange(firstNew, diagnostics.Count - firstNew);
        diagnostics.AddRange(mine);
        return new RuleLoadResult(rules, diagnostics) { Correlations = goodCorrelations, Notes = notes };
    }
}
