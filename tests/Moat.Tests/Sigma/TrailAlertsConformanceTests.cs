using System.Text;
using System.Text.Json;
using Moat.Evaluate;
using Moat.Read;
using Moat.Rules;
using Moat.Tests.Support;

namespace Moat.Tests.Sigma;

/// <summary>
/// SigmaHQ's AWS rules against TrailAlerts' paired CloudTrail events. Where the Sigma specification disagrees
/// with a fixture (five cases, listed in the manifest with the reason), the specification wins and the test
/// asserts the specification's verdict.
/// </summary>
public sealed class TrailAlertsConformanceTests
{
    private static string Data(params string[] p) => Repo.Path(["tests", "Moat.Tests", "data", "sigma", .. p]);

    public static TheoryData<string, string, int, bool> Cases()
    {
        var data = new TheoryData<string, string, int, bool>();
        using var manifest = JsonDocument.Parse(File.ReadAllBytes(Data("trailalerts", "manifest.json")));
        foreach (var e in manifest.RootElement.EnumerateArray())
        {
            if (e.GetProperty("sigmahq_rule_file").GetString() is not { } ruleFile) continue;
            var testsFile = e.GetProperty("tests_file").GetString()!;
            var disagreements = e.GetProperty("disagreements_when_sigmahq_rule_evaluated_strictly").EnumerateArray().Select(x => x.GetString()!).ToHashSet();
            using var tests = JsonDocument.Parse(File.ReadAllBytes(Data("trailalerts", testsFile)));
            foreach (var kind in new[] { "should_match", "should_not_match" })
            {
                int i = 0;
                foreach (var _ in tests.RootElement.GetProperty(kind).EnumerateArray())
                {
                    bool expected = kind == "should_match";
                    if (disagreements.Contains($"{kind}[{i}]")) expected = !expected; // the specification's verdict
                    data.Add(ruleFile, testsFile + ":" + kind, i, expected);
                    i++;
                }
            }
        }
        return data;
    }

    [Theory]
    [MemberData(nameof(Cases))]
    public void SigmaHQ_rule_gives_the_specification_verdict(string ruleFile, string testCase, int index, bool expected)
    {
        var load = RuleLoader.Load(false, [Data("rules", ruleFile)]);
        Assert.DoesNotContain(load.Diagnostics, d => d.Level == DiagnosticLevel.Error);
        var rule = Assert.Single(load.Rules);
        var parts = testCase.Split(':');
        using var tests = JsonDocument.Parse(File.ReadAllBytes(Data("trailalerts", parts[0])));
        var ev = tests.RootElement.GetProperty(parts[1])[index].GetRawText();
        var eval = new RecordEvaluator(new RuleIndex([rule]), "fixture");
        eval.OnRecord(Encoding.UTF8.GetBytes(ev), new RecordPosition(1, 0, 1));
        Assert.Empty(eval.Errors);
        Assert.Equal(expected, eval.Findings.Count == 1);
    }

    [Fact]
    public void All_57_production_rules_load_without_errors_and_carry_their_author()
    {
        var load = RuleLoader.Load(false, [Data("rules")]);
        Assert.DoesNotContain(load.Diagnostics, d => d.Level == DiagnosticLevel.Error);
        Assert.Equal(57, load.Rules.Count);
        Assert.All(load.Rules, r =>
        {
            Assert.Equal("sigma", r.Document.Kind);
            Assert.False(string.IsNullOrEmpty(r.Document.Author), r.Id);
        });
        // Only five rules do not pin eventName; each still names a text the event must contain.
        Assert.Equal(5, load.Rules.Count(r => r.EventNames is null));
        Assert.All(load.Rules.Where(r => r.EventNames is null), r => Assert.NotNull(r.Literals));
    }

    [Fact]
    public void The_placeholder_rule_is_rejected_naming_its_placeholders_unless_values_are_given()
    {
        var load = RuleLoader.Load(false, [Data("placeholder")]);
        Assert.Empty(load.Rules);
        var d = load.Diagnostics.Where(x => x.Code == DiagnosticCodes.SigmaPlaceholder).ToList();
        Assert.Contains(d, x => x.Message.Contains("%Legitimate_Countries%") && x.Span.Line == 25);
        Assert.Contains(d, x => x.Message.Contains("%Legitimate_IP_Ranges%") && x.Span.Line == 27);

        var given = RuleLoader.Load(false, [Data("placeholder")], new Moat.Rules.Sigma.SigmaOptions(new Dictionary<string, IReadOnlyList<string>>
        {
            ["Legitimate_Countries"] = ["DE", "FR"],
            ["Legitimate_IP_Ranges"] = ["203.0.113.*"],
        }));
        Assert.DoesNotContain(given.Diagnostics, x => x.Level == DiagnosticLevel.Error);
        Assert.Single(given.Rules);
    }

    [Fact]
    public void Unsupported_rules_are_rejected_naming_the_removed_aggregation_with_file_line_and_column()
    {
        var load = RuleLoader.Load(false, [Data("unsupported")]);
        Assert.Empty(load.Rules);
        foreach (var file in Directory.GetFiles(Data("unsupported"), "*.yml"))
        {
            var mine = load.Diagnostics.Where(d => d.Span.File == file && d.Code == DiagnosticCodes.SigmaUnsupported).ToList();
            Assert.True(mine.Count > 0, Path.GetFileName(file));
            Assert.All(mine, d => Assert.True(d.Span.Line > 0 && d.Span.Column > 0));
        }
        var pipe = load.Diagnostics.First(d => d.Span.File.EndsWith("aws_ec2_download_userdata.yml", StringComparison.Ordinal) && d.Message.Contains("count()"));
        // "    condition: selection_source | count() > 10": the '|' is at column 33.
        Assert.Equal((22, 33), (pipe.Span.Line, pipe.Span.Column));
    }
}
