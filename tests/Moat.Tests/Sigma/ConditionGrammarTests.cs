using Moat.Rules;
using static Moat.Tests.Sigma.SigmaFixture;

namespace Moat.Tests.Sigma;

/// <summary>
/// The condition expression: or &lt; and &lt; not &lt; "x of" &lt; parentheses, quantifiers over identifier patterns
/// and them, lists of conditions, and the diagnostics for unknown names and removed Sigma 1 syntax.
/// </summary>
public sealed class ConditionGrammarTests
{
    /// <summary>Three searches a, b, c that test fields a, b and c for the value 1.</summary>
    private const string Abc = "a:\n  a: 1\nb:\n  b: 1\nc:\n  c: 1\n";

    private static string Ev(bool a, bool b, bool c) =>
        "{" + string.Join(", ", new[] { ("a", a), ("b", b), ("c", c) }.Select(x => $"\"{x.Item1}\": {(x.Item2 ? 1 : 0)}")) + "}";

    /// <summary>The line of the condition written after <see cref="Abc"/>.</summary>
    private const int ConditionLine = FirstDetectionLine + 6;

    [Theory]
    [InlineData(false, false, false, false)]
    [InlineData(true, false, false, true)]
    [InlineData(false, true, false, false)]
    [InlineData(false, false, true, false)]
    [InlineData(false, true, true, true)]
    [InlineData(true, true, true, true)]
    public void And_binds_tighter_than_or(bool a, bool b, bool c, bool expected)
    {
        // a or b and c = a or (b and c); read left to right as (a or b) and c, the second row would not match.
        var rule = Rule(Abc + "condition: a or b and c");
        Assert.Equal(expected, rule.Matches(Ev(a, b, c)));
    }

    [Theory]
    [InlineData(false, false, false)]
    [InlineData(false, true, true)]
    [InlineData(true, true, false)]
    [InlineData(true, false, false)]
    public void Not_binds_tighter_than_and(bool a, bool b, bool expected)
    {
        // not a and b = (not a) and b; as not (a and b) the first row would match.
        var rule = Rule(Abc + "condition: not a and b");
        Assert.Equal(expected, rule.Matches(Ev(a, b, false)));
    }

    [Theory]
    [InlineData(true, false, false, false)]
    [InlineData(true, false, true, true)]
    [InlineData(false, true, true, true)]
    [InlineData(false, false, true, false)]
    public void Parentheses_group(bool a, bool b, bool c, bool expected)
    {
        var rule = Rule(Abc + "condition: (a or b) and c");
        Assert.Equal(expected, rule.Matches(Ev(a, b, c)));
    }

    [Theory]
    [InlineData(false, false, false, true)]
    [InlineData(true, false, false, false)]
    [InlineData(false, true, true, false)]
    [InlineData(false, true, false, true)]
    public void Not_applies_to_a_parenthesised_group_and_nests(bool a, bool b, bool c, bool expected)
    {
        var rule = Rule(Abc + "condition: not (a or (b and c))");
        Assert.Equal(expected, rule.Matches(Ev(a, b, c)));
    }

    [Fact]
    public void Or_and_and_chain_left_to_right()
    {
        var rule = Rule(Abc + "condition: a and b and c or a and not b");
        Assert.True(rule.Matches(Ev(true, true, true)));
        Assert.True(rule.Matches(Ev(true, false, false)));
        Assert.False(rule.Matches(Ev(true, true, false)));
    }

    private const string Selections = "selection_a:\n  a: 1\nselection_b:\n  b: 1\nfilter_c:\n  c: 1\n";

    [Theory]
    [InlineData(true, false, false, true)]
    [InlineData(false, true, false, true)]
    [InlineData(false, false, true, false)]
    public void One_of_a_pattern_is_or_over_the_matching_identifiers(bool a, bool b, bool c, bool expected)
    {
        Assert.Equal(expected, Rule(Selections + "condition: 1 of selection_*").Matches(Ev(a, b, c)));
        Assert.Equal(expected, Rule(Selections + "condition: any of selection_*").Matches(Ev(a, b, c)));
    }

    [Theory]
    [InlineData(true, true, false, true)]
    [InlineData(true, false, false, false)]
    [InlineData(true, true, true, true)]
    public void All_of_a_pattern_is_and_over_the_matching_identifiers(bool a, bool b, bool c, bool expected)
    {
        Assert.Equal(expected, Rule(Selections + "condition: all of selection_*").Matches(Ev(a, b, c)));
    }

    [Fact]
    public void Not_one_of_a_pattern_negates_the_whole_quantifier()
    {
        var rule = Rule(Selections + "condition: 1 of selection_* and not 1 of filter_*");
        Assert.True(rule.Matches(Ev(true, false, false)));
        Assert.False(rule.Matches(Ev(true, false, true)));
    }

    [Fact]
    public void A_pattern_matches_whole_identifiers_with_the_star_anywhere()
    {
        var rule = Rule("sel_one_x:\n  a: 1\nsel_two_x:\n  b: 1\nsel_three:\n  c: 1\ncondition: all of sel_*_x");
        Assert.True(rule.Matches(Ev(true, true, false)));
        Assert.False(rule.Matches(Ev(true, false, true)));
    }

    [Theory]
    [InlineData(true, true, false, true)]
    [InlineData(true, false, false, false)]
    public void All_of_them_skips_identifiers_starting_with_an_underscore(bool a, bool b, bool c, bool expected)
    {
        // _c would fail for every event here; "them" leaves it out.
        var rule = Rule("a:\n  a: 1\nb:\n  b: 1\n_c:\n  c: 1\ncondition: all of them");
        Assert.Equal(expected, rule.Matches(Ev(a, b, c)));
    }

    [Fact]
    public void One_of_them_skips_identifiers_starting_with_an_underscore()
    {
        var rule = Rule("a:\n  a: 1\n_c:\n  c: 1\ncondition: 1 of them");
        Assert.True(rule.Matches(Ev(true, false, false)));
        Assert.False(rule.Matches(Ev(false, false, true)));
    }

    [Fact]
    public void An_underscore_identifier_can_still_be_named_directly_or_by_pattern()
    {
        var rule = Rule("a:\n  a: 1\n_c:\n  c: 1\ncondition: a and 1 of _*");
        Assert.True(rule.Matches(Ev(true, false, true)));
        Assert.False(rule.Matches(Ev(true, false, false)));
    }

    [Fact]
    public void A_list_of_conditions_is_or()
    {
        var rule = Rule(Abc + "condition:\n  - a and b\n  - c");
        Assert.True(rule.Matches(Ev(true, true, false)));
        Assert.True(rule.Matches(Ev(false, false, true)));
        Assert.False(rule.Matches(Ev(true, false, false)));
    }

    [Fact]
    public void A_pattern_that_matches_no_identifier_is_reported_at_the_pattern()
    {
        var load = LoadDetection(Abc + "condition: a and 1 of selection_*");
        Assert.Empty(load.Rules);
        // "  condition: a and 1 of selection_*": the value starts at column 14, the pattern 11 characters later.
        Assert.Equal(At(ConditionLine, 25), Single(load, DiagnosticCodes.SigmaCondition).Span);
    }

    [Fact]
    public void An_unknown_identifier_is_reported_at_its_column()
    {
        var load = LoadDetection(Abc + "condition: a and not missing");
        Assert.Empty(load.Rules);
        var d = Single(load, DiagnosticCodes.SigmaCondition);
        Assert.Equal(DiagnosticLevel.Error, d.Level);
        Assert.Equal(At(ConditionLine, 24), d.Span);
    }

    [Fact]
    public void Columns_in_a_quoted_condition_count_the_quote()
    {
        var load = LoadDetection(Abc + "condition: 'a and missing'");
        Assert.Equal(At(ConditionLine, 21), Single(load, DiagnosticCodes.SigmaCondition).Span);
    }

    [Fact]
    public void Each_condition_of_a_list_reports_at_its_own_line()
    {
        var load = LoadDetection(Abc + "condition:\n  - a\n  - b and nope");
        Assert.Empty(load.Rules);
        // "    - b and nope" (indented by the fixture): the item starts at column 7, the name 6 characters later.
        Assert.Equal(At(ConditionLine + 2, 13), Single(load, DiagnosticCodes.SigmaCondition).Span);
    }

    [Theory]
    [InlineData("a and", 19)]
    [InlineData("a b", 16)]
    [InlineData("(a or b", 21)]
    [InlineData("a or )", 19)]
    [InlineData("a AND b", 16)]
    [InlineData("all of", 20)]
    public void Malformed_conditions_are_reported_with_a_column(string condition, int column)
    {
        var load = LoadDetection(Abc + "condition: " + condition);
        Assert.Empty(load.Rules);
        Assert.Equal(At(ConditionLine, column), Single(load, DiagnosticCodes.SigmaCondition).Span);
    }

    [Fact]
    public void A_sigma_1_pipe_aggregation_is_rejected_at_the_pipe()
    {
        var load = LoadDetection(Abc + "condition: a | count() by b > 10");
        Assert.Empty(load.Rules);
        var d = Single(load, DiagnosticCodes.SigmaUnsupported);
        Assert.Equal(At(ConditionLine, 16), d.Span);
        Assert.DoesNotContain(load.Diagnostics, x => x.Code == DiagnosticCodes.SigmaCondition);
    }

    [Fact]
    public void Near_aggregation_is_rejected_at_the_pipe()
    {
        var load = LoadDetection(Abc + "condition: a | near b");
        Assert.Equal(At(ConditionLine, 16), Single(load, DiagnosticCodes.SigmaUnsupported).Span);
    }

    [Fact]
    public void Timeframe_is_rejected_at_its_key()
    {
        var load = LoadDetection(Abc + "timeframe: 5m\ncondition: a");
        Assert.Empty(load.Rules);
        Assert.Equal(At(ConditionLine, 3), Single(load, DiagnosticCodes.SigmaUnsupported).Span);
    }

    [Fact]
    public void A_missing_condition_is_reported()
    {
        var load = LoadDetection(Abc);
        Assert.Empty(load.Rules);
        Assert.Single(load.Diagnostics, d => d.Code == DiagnosticCodes.MissingField);
    }

    [Fact]
    public void A_search_that_failed_does_not_add_a_second_diagnostic_in_the_condition()
    {
        var load = LoadDetection("a:\n  a|bogus: 1\nb:\n  b: 1\ncondition: a or 1 of b*");
        Assert.Empty(load.Rules);
        Assert.Single(load.Diagnostics);
        Assert.Equal(DiagnosticCodes.UnknownOperator, load.Diagnostics[0].Code);
    }
}
