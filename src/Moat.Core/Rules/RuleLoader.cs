using System.Reflection;
using Moat.Compile;

namespace Moat.Rules;

/// <summary>The outcome of loading rules: what compiled, and every diagnostic met on the way.</summary>
public sealed record RuleLoadResult(IReadOnlyList<CompiledRule> Rules, IReadOnlyList<Diagnostic> Diagnostics)
{
    public bool HasErrors => Diagnostics.Any(d => d.Level == DiagnosticLevel.Error);
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
    public static RuleLoadResult Load(bool includeBuiltin, IEnumerable<string> folders)
    {
        var diagnostics = new List<Diagnostic>();
        var files = new List<(string, string)>();
        if (includeBuiltin) files.AddRange(BuiltinFiles());
        foreach (var f in folders) files.AddRange(FilesIn(f, diagnostics));
        return LoadTexts(files, diagnostics);
    }

    public static RuleLoadResult LoadTexts(IEnumerable<(string Name, string Text)> files, List<Diagnostic>? diagnostics = null)
    {
        diagnostics ??= [];
        var rules = new List<CompiledRule>();
        var ids = new Dictionary<string, SourceSpan>(StringComparer.Ordinal);
        foreach (var (name, text) in files)
        {
            var doc = RuleReader.Read(text, name, diagnostics);
            if (doc is null) continue;
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
        return new RuleLoadResult(rules, diagnostics);
    }
}
