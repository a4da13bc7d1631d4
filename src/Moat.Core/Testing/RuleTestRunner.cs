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
            results.Add(new RuleTestResult(rule.Id, test.Name, test.Span, passed, expected, actual));
        }
        return results;
    }
}
