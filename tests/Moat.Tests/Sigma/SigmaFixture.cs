using System.Text;
using System.Text.Json;
using Moat.Compile;
using Moat.Emit;
using Moat.Evaluate;
using Moat.Read;
using Moat.Rules;
using Moat.Rules.Sigma;

namespace Moat.Tests.Sigma;

/// <summary>Loads Sigma YAML written inline in a test and runs the translated rules on JSON events.</summary>
internal static class SigmaFixture
{
    public const string FileName = "r.yml";

    /// <summary>
    /// The lines every inline rule starts with. The detection body written by <see cref="Rule"/> begins on
    /// <see cref="FirstDetectionLine"/>, indented by two spaces (search identifiers at column 3).
    /// </summary>
    public const string Header = "title: Test rule\nid: r1\nlogsource:\n  product: aws\n  service: cloudtrail\ndetection:\n";

    public const int FirstDetectionLine = 7;

    public static RuleLoadResult Load(string yaml, SigmaOptions? options = null) => RuleLoader.LoadTexts([(FileName, yaml)], null, options);

    /// <summary>The text of a rule whose detection block is <paramref name="detection"/> (YAML written from column 1).</summary>
    public static string RuleText(string detection, string extra = "") => Header + Indent(detection, 2) + extra;

    /// <summary>Loads a rule whose detection block is <paramref name="detection"/> and fails the test on any error.</summary>
    public static CompiledRule Rule(string detection, SigmaOptions? options = null) => LoadRule(RuleText(detection), options);

    public static CompiledRule LoadRule(string yaml, SigmaOptions? options = null)
    {
        var load = Load(yaml, options);
        var errors = load.Diagnostics.Where(d => d.Level == DiagnosticLevel.Error).ToList();
        Assert.True(errors.Count == 0, "unexpected errors:\n" + string.Join("\n", errors));
        return Assert.Single(load.Rules);
    }

    /// <summary>The diagnostics of loading a rule whose detection block is <paramref name="detection"/>.</summary>
    public static RuleLoadResult LoadDetection(string detection, SigmaOptions? options = null) => Load(RuleText(detection), options);

    /// <summary>The one diagnostic with <paramref name="code"/>; fails when there is none or several.</summary>
    public static Diagnostic Single(RuleLoadResult load, string code) => Assert.Single(load.Diagnostics, d => d.Code == code);

    public static SourceSpan At(int line, int column) => new(FileName, line, column);

    /// <summary>Evaluates the compiled condition directly on one event.</summary>
    public static bool Matches(this CompiledRule rule, string json)
    {
        using var doc = JsonDocument.Parse(json);
        return rule.Matches(doc.RootElement);
    }

    /// <summary>
    /// Runs one event through the whole evaluation path (header, eventName index, literal prefilter, condition)
    /// and returns the findings.
    /// </summary>
    public static List<Finding> FindingsFor(IReadOnlyList<CompiledRule> rules, string json)
    {
        var eval = new RecordEvaluator(new RuleIndex(rules), "x");
        eval.OnRecord(Encoding.UTF8.GetBytes(json), new RecordPosition(1, 0, 1));
        Assert.Empty(eval.Errors);
        return eval.Findings;
    }

    public static List<Finding> FindingsFor(CompiledRule rule, string json) => FindingsFor([rule], json);

    /// <summary>A JSON object with one string field (the value is JSON-escaped).</summary>
    public static string Event(string field, string value) =>
        "{" + JsonSerializer.Serialize(field) + ":" + JsonSerializer.Serialize(value) + "}";

    public static string Indent(string text, int spaces)
    {
        var pad = new string(' ', spaces);
        return string.Join("\n", text.Replace("\r\n", "\n").Split('\n').Select(l => l.Length == 0 ? l : pad + l)) + "\n";
    }
}
