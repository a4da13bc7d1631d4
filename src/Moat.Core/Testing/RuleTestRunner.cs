using Moat.Compile;
using Moat.Evaluate;
using Moat.Read;
using Moat.Rules;

namespace Moat.Testing;

public sealed record RuleTestResult(string RuleId, string TestName, SourceSpan Span, bool Passed, string Expected, string Actual);

/// <summary>
/// Runs a rule's embedded tests through the same path as a scan (header check, index lookup, evaluation,
/// severity), so a rule whose eventName pin is wrong fails its tests instead of silently never firing.
/// </summary>
public static class RuleTestRunner
{
    public static List<RuleTestResult> Run(CompiledRule rule)
    {
        var results = new List<RuleTestResult>();
        var index = new RuleIndex([rule]);
        foreach (var test in rule.Document.Tests)
        {
            var json = YamlJson.ToJson(test.Event, out var error);
            if (json is null)
            {
                results.Add(new RuleTestResult(rule.Id, test.Name, test.Span, false, "a valid event", $"{DiagnosticCodes.BadTestEvent}: {error}"));
                continue;
            }
            var eval = new RecordEvaluator(index, $"{rule.Id} test '{test.Name}'");
            eval.OnRecord(json, new RecordPosition(1, 0, test.Span.Line));
            if (eval.Errors.Count > 0)
            {
                results.Add(new RuleTestResult(rule.Id, test.Name, test.Span, false, test.Match ? "match" : "no match", "error: " + eval.Errors[0].Reason));
                continue;
            }
            bool matched = eval.Findings.Count > 0;
            string expected = test.Match ? "match" + (test.Severity is { } s ? $" ({s.Name()})" : "") : "no match";
            string actual = matched ? "match (" + eval.Findings[0].Severity.Name() + ")" : "no match";
            bool passed = matched == test.Match && (!matched || test.Severity is null || test.Severity == eval.Findings[0].Severity);
            if (passed && matched)
            {
                // Pinned output fields, read from the finding exactly as `--format jsonl` would print it.
                var output = FindingJson(eval.Findings[0]);
                foreach (var (field, want) in test.Output)
                {
                    var got = Lookup(output.RootElement, field);
                    if (got == want) continue;
                    passed = false;
                    expected = $"{field} = {want}";
                    actual = got is null ? $"{field} missing" : $"{field} = {got}";
                    break;
                }
            }
            results.Add(new RuleTestResult(rule.Id, test.Name, test.Span, passed, expected, actual));
        }
        return results;
    }

    private static System.Text.Json.JsonDocument FindingJson(Moat.Emit.Finding f)
    {
        using var ms = new MemoryStream();
        using (var w = new System.Text.Json.Utf8JsonWriter(ms)) Moat.Emit.JsonFindingWriter.WriteObject(w, f);
        return System.Text.Json.JsonDocument.Parse(ms.ToArray());
    }

    /// <summary>A dotted path into the finding JSON; arrays render as their items joined by newlines.</summary>
    private static string? Lookup(System.Text.Json.JsonElement e, string path)
    {
        foreach (var seg in path.Split('.'))
        {
            if (e.ValueKind != System.Text.Json.JsonValueKind.Object || !e.TryGetProperty(seg, out e)) return null;
        }
        return e.ValueKind switch
        {
            System.Text.Json.JsonValueKind.String => e.GetString(),
            System.Text.Json.JsonValueKind.Array => string.Join("\n", e.EnumerateArray().Select(x => x.ValueKind == System.Text.Json.JsonValueKind.String ? x.GetString() : x.GetRawText())),
            _ => e.GetRawText(),
        };
    }
}
