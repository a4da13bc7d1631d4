using Moat.Rules;

namespace Moat.Tests.Rules;

/// <summary>Loading many files: one bad rule never stops the others, and ids are unique.</summary>
public sealed class RuleLoaderTests
{
    private static string RuleText(string id, string title = "Test rule", string condition = "eventName: A") =>
        $"id: {id}\ntitle: {title}\nseverity: low\ntests: []\ncondition:\n  {condition}\n";

    [Fact]
    public void Duplicate_id_keeps_the_first_rule_and_reports_the_second()
    {
        var load = RuleLoader.LoadTexts([("a.yaml", RuleText("T.Same", "First")), ("b.yaml", "# second\n" + RuleText("T.Same", "Second"))]);
        var rule = Assert.Single(load.Rules);
        Assert.Equal("First", rule.Document.Title);
        var d = Assert.Single(load.Diagnostics);
        Assert.Equal(DiagnosticCodes.DuplicateId, d.Code);
        Assert.Equal(DiagnosticLevel.Error, d.Level);
        Assert.Equal(new SourceSpan("b.yaml", 2, 1), d.Span);
    }

    [Fact]
    public void Ids_are_compared_case_sensitively()
    {
        var load = RuleLoader.LoadTexts([("a.yaml", RuleText("T.Rule")), ("b.yaml", RuleText("t.rule"))]);
        Assert.Equal(2, load.Rules.Count);
        Assert.Empty(load.Diagnostics);
    }

    [Fact]
    public void A_rule_that_failed_to_compile_does_not_reserve_its_id()
    {
        var load = RuleLoader.LoadTexts([("a.yaml", RuleText("T.Same", "Broken", "x: { regex: \"(\" }")), ("b.yaml", RuleText("T.Same", "Fixed"))]);
        Assert.Equal("Fixed", Assert.Single(load.Rules).Document.Title);
        Assert.DoesNotContain(load.Diagnostics, d => d.Code == DiagnosticCodes.DuplicateId);
    }

    [Fact]
    public void Good_rules_load_beside_bad_ones()
    {
        var load = RuleLoader.LoadTexts(
        [
            ("1.yaml", RuleText("T.One")),
            ("2.yaml", "id: T.Two\ntitle: [broken\n"),
            ("3.yaml", RuleText("T.Three", condition: "x: { bogus: 1 }")),
            ("4.yaml", RuleText("T.Four").Replace("severity: low", "severity: nope")),
            ("5.yaml", RuleText("T.Five")),
        ]);
        Assert.Equal(["T.One", "T.Five"], load.Rules.Select(r => r.Id));
        Assert.True(load.HasErrors);
        Assert.Equal(
            [("2.yaml", DiagnosticCodes.YamlSyntax), ("3.yaml", DiagnosticCodes.UnknownOperator), ("4.yaml", DiagnosticCodes.BadSeverity)],
            load.Diagnostics.Where(d => d.Level == DiagnosticLevel.Error).Select(d => (d.Span.File, d.Code)));
    }

    [Fact]
    public void A_rule_with_several_errors_reports_them_all()
    {
        var load = RuleLoader.LoadTexts([("a.yaml", "id: bad id\ntitle: t\nseverity: nope\ntests: []\nmitre: [{ tactic: X }]\ncondition:\n  eventName: A\n")]);
        Assert.Empty(load.Rules);
        Assert.Equal([DiagnosticCodes.BadId, DiagnosticCodes.BadSeverity, DiagnosticCodes.BadMitre], load.Diagnostics.Select(d => d.Code));
    }

    [Fact]
    public void Warnings_alone_do_not_count_as_errors()
    {
        var load = RuleLoader.LoadTexts([("a.yaml", RuleText("T.Rule", condition: "userAgent: x") + "extra: 1\n")]);
        Assert.Single(load.Rules);
        Assert.False(load.HasErrors);
        Assert.All(load.Diagnostics, d => Assert.Equal(DiagnosticLevel.Warning, d.Level));
        Assert.Equal([DiagnosticCodes.UnknownKey, DiagnosticCodes.NotIndexed], load.Diagnostics.Select(d => d.Code).Order());
    }

    [Fact]
    public void Appends_to_the_diagnostics_list_it_is_given()
    {
        var list = new List<Diagnostic> { new("MOAT999", DiagnosticLevel.Warning, SourceSpan.None("x"), "earlier") };
        var load = RuleLoader.LoadTexts([("a.yaml", "id: [\n")], list);
        Assert.Same(list, load.Diagnostics);
        Assert.Equal(["MOAT999", DiagnosticCodes.YamlSyntax], list.Select(d => d.Code));
    }

    [Fact]
    public void Reports_a_missing_rule_folder_without_throwing()
    {
        var load = RuleLoader.Load(false, ["/nonexistent/moat-rules-" + Guid.NewGuid().ToString("N")]);
        Assert.Empty(load.Rules);
        Assert.Equal(DiagnosticCodes.UnreadableFile, Assert.Single(load.Diagnostics).Code);
    }

    [Fact]
    public void Loads_yaml_and_yml_files_from_a_folder_in_name_order()
    {
        var dir = Directory.CreateTempSubdirectory("moat-rules-");
        try
        {
            File.WriteAllText(Path.Combine(dir.FullName, "b.yml"), RuleText("T.B"));
            Directory.CreateDirectory(Path.Combine(dir.FullName, "sub"));
            File.WriteAllText(Path.Combine(dir.FullName, "sub", "c.yaml"), RuleText("T.C"));
            File.WriteAllText(Path.Combine(dir.FullName, "a.yaml"), RuleText("T.A"));
            File.WriteAllText(Path.Combine(dir.FullName, "notes.txt"), "not a rule");
            var load = RuleLoader.Load(false, [dir.FullName]);
            Assert.Empty(load.Diagnostics);
            Assert.Equal(["T.A", "T.B", "T.C"], load.Rules.Select(r => r.Id));
        }
        finally
        {
            dir.Delete(true);
        }
    }
}
