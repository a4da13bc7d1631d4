using Moat.Rules;
using static Moat.Tests.Rules.RuleFixture;

namespace Moat.Tests.Rules;

/// <summary>The read stage: YAML shape and top-level keys, each problem a coded diagnostic with its position.</summary>
public sealed class RuleReaderDiagnosticsTests
{
    private const string Valid = """
        id: T.Rule
        title: Test rule
        severity: low
        tests: []
        condition:
          eventName: A
        """;

    [Fact]
    public void A_valid_rule_loads_without_diagnostics()
    {
        var load = Load(Valid);
        Assert.Empty(load.Diagnostics);
        Assert.Equal("T.Rule", Assert.Single(load.Rules).Id);
    }

    [Fact]
    public void Reports_yaml_syntax_error_with_its_line_and_column()
    {
        var load = Load("""
            id: T.Rule
            title: Test rule
            severity: low
            tests: []
            condition:
              eventName: A
             eventSource: B
            """);
        var d = Assert.Single(load.Diagnostics);
        Assert.Equal(DiagnosticCodes.YamlSyntax, d.Code);
        Assert.Equal(DiagnosticLevel.Error, d.Level);
        Assert.Equal(At(7, 2), d.Span);
        Assert.Empty(load.Rules);
    }

    [Fact]
    public void Reports_an_unclosed_flow_mapping_before_the_next_key_instead_of_throwing()
    {
        // YamlDotNet throws InvalidOperationException (not YamlException) for this typo.
        var load = Load("""
            id: T.Rule
            title: Test rule
            severity: low
            condition: { eventName: A
            tests: []
            """);
        var d = Assert.Single(load.Diagnostics);
        Assert.Equal(DiagnosticCodes.YamlSyntax, d.Code);
        Assert.Equal(At(5, 1), d.Span);
        Assert.Empty(load.Rules);
    }

    [Fact]
    public void Reports_an_unclosed_flow_list_before_the_next_key_instead_of_throwing()
    {
        var load = RuleLoader.LoadTexts([("a.yaml", "id: T.A\ntitle: t\nseverity: low\ntags: [a, b\ncondition: { eventName: A }\n"), ("b.yaml", Valid)]);
        Assert.Equal(new SourceSpan("a.yaml", 5, 1), Single(load, DiagnosticCodes.YamlSyntax).Span);
        Assert.Equal("T.Rule", Assert.Single(load.Rules).Id);
    }

    [Fact]
    public void Reports_an_unterminated_quote_as_a_yaml_syntax_error()
    {
        var load = Load("id: T.Rule\ntitle: \"Test rule\nseverity: low\n");
        var d = Single(load, DiagnosticCodes.YamlSyntax);
        Assert.Equal(2, d.Span.Line);
        Assert.Empty(load.Rules);
    }

    [Fact]
    public void Reports_a_duplicate_mapping_key_at_the_second_key()
    {
        var load = Load("""
            id: T.Rule
            title: Test rule
            severity: low
            tests: []
            condition:
              eventName: A
              eventName: B
            """);
        Assert.Equal(At(7, 3), Single(load, DiagnosticCodes.YamlSyntax).Span);
        Assert.Empty(load.Rules);
    }

    [Fact]
    public void Expands_a_yaml_alias_to_the_anchored_value()
    {
        var load = Load("""
            id: T.Rule
            title: Test rule
            severity: low
            tests: []
            condition:
              all:
                - eventName: &name A
                - eventSource: *name
            """);
        Assert.DoesNotContain(load.Diagnostics, d => d.Level == DiagnosticLevel.Error);
        var rule = Assert.Single(load.Rules);
        Assert.Equal(["A"], rule.EventSources!);
    }

    [Fact]
    public void Rejects_nested_aliases_that_expand_beyond_the_budget()
    {
        // Ten levels of ten aliases each would be 10^10 values if the aliases were expanded.
        var yaml = Header + "x0: &x0 [a, a, a, a, a, a, a, a, a, a]\n";
        for (int i = 1; i <= 10; i++) yaml += $"x{i}: &x{i} [{string.Join(", ", Enumerable.Repeat($"*x{i - 1}", 10))}]\n";
        var load = Load(yaml + "condition:\n  eventName: A\n");
        Assert.Equal(At(6, 10), Single(load, DiagnosticCodes.TooDeep).Span);
        Assert.Empty(load.Rules);
    }

    [Fact]
    public void An_anchor_that_is_never_used_is_harmless()
    {
        var rule = LoadRule(Valid.Replace("eventName: A", "eventName: &n A"));
        Assert.Equal(["A"], rule.EventNames!);
    }

    [Theory]
    [InlineData("id")]
    [InlineData("title")]
    [InlineData("severity")]
    [InlineData("condition")]
    public void Reports_a_missing_required_key(string key)
    {
        var lines = Valid.Split('\n').Where(l => !l.StartsWith(key + ":", StringComparison.Ordinal));
        if (key == "condition") lines = lines.Where(l => !l.StartsWith("  ", StringComparison.Ordinal));
        var load = Load(string.Join("\n", lines));
        var d = Single(load, DiagnosticCodes.MissingField);
        Assert.Equal(DiagnosticLevel.Error, d.Level);
        Assert.Equal(At(1, 1), d.Span);
        Assert.Empty(load.Rules);
    }

    [Fact]
    public void Reports_a_test_without_an_event_as_a_missing_field()
    {
        var load = Load("""
            id: T.Rule
            title: Test rule
            severity: low
            condition:
              eventName: A
            tests:
              - name: no event
                match: true
            """);
        Assert.Equal(At(7, 5), Single(load, DiagnosticCodes.MissingField).Span);
        Assert.Empty(load.Rules);
    }

    [Fact]
    public void Reports_a_bad_severity_at_its_value()
    {
        var load = Load("""
            id: T.Rule
            title: Test rule
            severity: urgent
            tests: []
            condition:
              eventName: A
            """);
        var d = Single(load, DiagnosticCodes.BadSeverity);
        Assert.Equal(At(3, 11), d.Span);
        Assert.Empty(load.Rules);
    }

    [Fact]
    public void Reports_a_bad_severity_inside_severity_when_and_tests()
    {
        var load = Load("""
            id: T.Rule
            title: Test rule
            severity: low
            severity_when:
              - severity: extreme
                condition: { x: 1 }
            condition:
              eventName: A
            tests:
              - name: t
                match: true
                severity: huge
                event: { eventName: A }
            """);
        var spans = load.Diagnostics.Where(d => d.Code == DiagnosticCodes.BadSeverity).Select(d => d.Span).ToList();
        Assert.Equal([At(5, 15), At(12, 15)], spans);
        Assert.Empty(load.Rules);
    }

    [Theory]
    [InlineData("Info", Severity.Info)]
    [InlineData("informational", Severity.Info)]
    [InlineData("LOW", Severity.Low)]
    [InlineData("medium", Severity.Medium)]
    [InlineData("High", Severity.High)]
    [InlineData("critical", Severity.Critical)]
    public void Accepts_severity_names_in_any_case(string text, Severity expected)
    {
        var rule = LoadRule(Valid.Replace("severity: low", "severity: " + text));
        Assert.Equal(expected, rule.Document.Severity);
    }

    [Fact]
    public void Unknown_top_level_key_is_a_warning_and_the_rule_still_loads()
    {
        var load = Load(Valid + "\nsevrity_when: []\n");
        var d = Single(load, DiagnosticCodes.UnknownKey);
        Assert.Equal(DiagnosticLevel.Warning, d.Level);
        Assert.Equal(At(7, 1), d.Span);
        Assert.False(load.HasErrors);
        Assert.Single(load.Rules);
    }

    [Fact]
    public void Unknown_key_inside_any_item_is_an_error()
    {
        var load = LoadCondition("""
            any_item:
              path: items
              wehre: { port: 22 }
              where: { port: 22 }
            """);
        var d = Single(load, DiagnosticCodes.UnknownKey);
        Assert.Equal(DiagnosticLevel.Error, d.Level);
        Assert.Equal(At(8, 5), d.Span);
        Assert.Empty(load.Rules);
    }

    [Fact]
    public void Unknown_key_inside_port_range_is_an_error()
    {
        var load = LoadCondition("""
            port_range: { protocol: p, from: f, to: t, covers_any: [22], ports: [23] }
            """);
        var d = Single(load, DiagnosticCodes.UnknownKey);
        Assert.Equal(DiagnosticLevel.Error, d.Level);
        Assert.Equal(At(6, 64), d.Span);
    }

    [Theory]
    [InlineData("tactic: TA01", 13)]
    [InlineData("tactic: T1562", 13)]
    [InlineData("technique: T1562.7", 16)]
    [InlineData("technique: t1562", 16)]
    [InlineData("technique: TA0005", 16)]
    public void Reports_a_bad_mitre_id_at_its_value(string item, int column)
    {
        var load = Load(Valid + "\nmitre:\n  - " + item + "\n");
        var d = Single(load, DiagnosticCodes.BadMitre);
        Assert.Equal(At(8, column), d.Span);
        Assert.Empty(load.Rules);
    }

    [Fact]
    public void Accepts_mitre_tactics_techniques_and_sub_techniques()
    {
        var rule = LoadRule(Valid + "\nmitre:\n  - { tactic: TA0005, technique: T1562.007 }\n  - technique: T1098\n");
        Assert.Equal([new MitreRef("TA0005", "T1562.007"), new MitreRef(null, "T1098")], rule.Document.Mitre);
    }

    [Fact]
    public void A_mitre_item_needs_a_tactic_or_a_technique()
    {
        var load = Load(Valid + "\nmitre:\n  - { name: x }\n");
        Assert.Equal(At(8, 5), Single(load, DiagnosticCodes.MissingField).Span);
    }

    [Theory]
    [InlineData("bad id!")]
    [InlineData("-leading.dash")]
    [InlineData("with/slash")]
    [InlineData("ünïcode")]
    public void Reports_a_rule_id_with_bad_characters(string id)
    {
        var load = Load(Valid.Replace("id: T.Rule", "id: \"" + id + "\""));
        var d = Single(load, DiagnosticCodes.BadId);
        Assert.Equal(At(1, 5), d.Span);
        Assert.Empty(load.Rules);
    }

    [Theory]
    [InlineData("AWS.EC2.Rule")]
    [InlineData("my_rule-2")]
    [InlineData("org:team:rule")]
    [InlineData("7")]
    public void Accepts_ids_made_of_letters_digits_and_dot_underscore_dash_colon(string id)
    {
        Assert.Equal(id, LoadRule(Valid.Replace("id: T.Rule", "id: \"" + id + "\"")).Id);
    }

    [Fact]
    public void Reports_an_empty_all_list_at_the_list()
    {
        var load = LoadCondition("""
            all: []
            """);
        Assert.Equal(At(6, 8), Single(load, DiagnosticCodes.EmptyList).Span);
        Assert.Empty(load.Rules);
    }

    [Fact]
    public void Reports_an_empty_any_list_nested_in_all()
    {
        var load = LoadCondition("""
            all:
              - eventName: A
              - any: []
            """);
        Assert.Equal(At(8, 12), Single(load, DiagnosticCodes.EmptyList).Span);
    }

    [Fact]
    public void Reports_an_empty_condition_and_a_field_without_operators()
    {
        Assert.Equal(At(5, 12), Single(Load(Header + "condition: {}\n"), DiagnosticCodes.EmptyList).Span);
        Assert.Equal(At(6, 14), Single(LoadCondition("eventName: {}"), DiagnosticCodes.EmptyList).Span);
    }

    private static string Nots(int depth) => string.Concat(Enumerable.Range(0, depth).Select(i => new string(' ', 2 * i) + "not:\n")) + new string(' ', 2 * depth) + "eventName: A";

    [Fact]
    public void A_condition_nested_64_deep_loads()
    {
        var rule = Rule(Nots(64));
        Assert.StartsWith("not(not(", rule.DescribeCondition());
    }

    [Fact]
    public void Reports_a_condition_nested_deeper_than_64()
    {
        var load = LoadCondition(Nots(65));
        var d = Single(load, DiagnosticCodes.TooDeep);
        Assert.Equal(At(6 + 65, 3 + 2 * 65), d.Span);
        Assert.Empty(load.Rules);
    }

    [Fact]
    public void Reports_yaml_nested_too_deeply_for_the_reader()
    {
        // Each all: level is two YAML levels (list and mapping), so 70 levels pass the YAML limit first.
        var yaml = Header + "condition:\n" + string.Concat(Enumerable.Range(0, 70).Select(i => new string(' ', 2 + 4 * i) + "all:\n" + new string(' ', 4 + 4 * i) + "-\n"))
            + new string(' ', 6 + 4 * 69) + "eventName: A\n";
        var load = Load(yaml);
        Assert.Contains(load.Diagnostics, d => d.Code == DiagnosticCodes.TooDeep);
        Assert.Empty(load.Rules);
    }

    [Fact]
    public void Reports_a_list_where_a_condition_mapping_is_expected()
    {
        var load = LoadCondition("""
            - eventName: A
            """);
        Assert.Equal(At(6, 3), Single(load, DiagnosticCodes.WrongType).Span);
    }

    [Fact]
    public void A_file_holds_exactly_one_rule()
    {
        Assert.Equal(At(1, 1), Single(Load(Valid + "\n---\n" + Valid), DiagnosticCodes.WrongType).Span);
        Assert.Equal(At(1, 1), Single(Load("# only a comment\n"), DiagnosticCodes.WrongType).Span);
        Assert.Equal(At(1, 1), Single(Load("- id: T.Rule\n"), DiagnosticCodes.WrongType).Span);
    }

    [Fact]
    public void Reports_a_value_of_the_wrong_kind()
    {
        var load = Load(Valid.Replace("title: Test rule", "title: [a, b]"));
        Assert.Equal(At(2, 8), Single(load, DiagnosticCodes.WrongType).Span);
        Assert.Empty(load.Rules);
    }

    [Fact]
    public void Reports_a_bad_dedup_period()
    {
        var load = Load(Valid + "\ndedup: { period: soon }\n");
        Assert.Equal(At(7, 18), Single(load, DiagnosticCodes.BadDuration).Span);
    }

    [Fact]
    public void Warns_when_a_rule_has_no_tests_key()
    {
        var load = Load(Valid.Replace("tests: []\n", ""));
        var d = Single(load, DiagnosticCodes.NoTests);
        Assert.Equal(DiagnosticLevel.Warning, d.Level);
        Assert.Single(load.Rules);
    }

    [Fact]
    public void Reads_the_documentary_fields_as_plain_data()
    {
        var rule = LoadRule("""
            id: T.Rule
            title: Test rule
            description: What it finds.
            severity: medium
            tags: [a, b]
            references: https://example.com/
            summary: [requestParameters.groupId]
            falsepositives: [Rare admin work]
            author: Someone
            dedup: { key: "{{eventName}}", period: 90m }
            changelog:
              - { date: 2026-01-01, change: Created }
            tests: []
            condition:
              eventName: A
            """);
        var doc = rule.Document;
        Assert.Equal("What it finds.", doc.Description);
        Assert.Equal(Severity.Medium, doc.Severity);
        Assert.Equal(["a", "b"], doc.Tags);
        Assert.Equal(["https://example.com/"], doc.References);
        Assert.Equal(["requestParameters.groupId"], doc.Summary);
        Assert.Equal(["Rare admin work"], doc.FalsePositives);
        Assert.Equal("Someone", doc.Author);
        Assert.Equal(TimeSpan.FromMinutes(90), doc.Dedup.Period);
        Assert.Equal("{{eventName}}", doc.Dedup.Key!.Text);
        Assert.Equal([new ChangelogEntry("2026-01-01", "Created")], doc.Changelog);
        Assert.Equal(At(1, 1), doc.Span);
    }

    [Theory]
    [InlineData("30s", 30)]
    [InlineData("15m", 15 * 60)]
    [InlineData("1.5h", 90 * 60)]
    [InlineData("1d", 24 * 3600)]
    public void Parses_durations(string text, int seconds)
    {
        Assert.True(RuleReader.TryParseDuration(text, out var value));
        Assert.Equal(TimeSpan.FromSeconds(seconds), value);
    }

    [Theory]
    [InlineData("")]
    [InlineData("m")]
    [InlineData("10")]
    [InlineData("10w")]
    [InlineData("-5m")]
    public void Rejects_malformed_durations(string text) => Assert.False(RuleReader.TryParseDuration(text, out _));
}
