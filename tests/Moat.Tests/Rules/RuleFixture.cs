using System.Text.Json;
using Moat.Compile;
using Moat.Rules;

namespace Moat.Tests.Rules;

/// <summary>Loads small rules written inline in a test and runs them on JSON events.</summary>
internal static class RuleFixture
{
    public const string File = "t.yaml";

    /// <summary>The lines every inline rule starts with; a condition written by <see cref="Rule"/> follows on line 5.</summary>
    public const string Header = "id: T.Rule\ntitle: Test rule\nseverity: low\ntests: []\n";

    public static RuleLoadResult Load(string yaml) => RuleLoader.LoadTexts([(File, yaml)]);

    /// <summary>Loads a whole rule file and fails the test on any error.</summary>
    public static CompiledRule LoadRule(string yaml)
    {
        var load = Load(yaml);
        var errors = load.Diagnostics.Where(d => d.Level == DiagnosticLevel.Error).ToList();
        Assert.True(errors.Count == 0, "unexpected errors:\n" + string.Join("\n", errors));
        return Assert.Single(load.Rules);
    }

    /// <summary>A rule whose condition is <paramref name="condition"/> (YAML written from column 1).</summary>
    public static CompiledRule Rule(string condition, string extra = "") => LoadRule(Header + extra + "condition:\n" + Indent(condition, 2));

    /// <summary>The diagnostics of loading a rule whose condition is <paramref name="condition"/>.</summary>
    public static RuleLoadResult LoadCondition(string condition) => Load(Header + "condition:\n" + Indent(condition, 2));

    public static bool Matches(this CompiledRule rule, string json)
    {
        using var doc = JsonDocument.Parse(json);
        return rule.Matches(doc.RootElement);
    }

    /// <summary>The one diagnostic with <paramref name="code"/>; fails when there is none or several.</summary>
    public static Diagnostic Single(RuleLoadResult load, string code) => Assert.Single(load.Diagnostics, d => d.Code == code);

    public static SourceSpan At(int line, int column) => new(File, line, column);

    public static string Indent(string text, int spaces)
    {
        var pad = new string(' ', spaces);
        return string.Join("\n", text.Replace("\r\n", "\n").Split('\n').Select(l => l.Length == 0 ? l : pad + l)) + "\n";
    }
}
