using Moat.Rules;
using Moat.Tests.Rules;
using static Moat.Tests.Rules.RuleFixture;

namespace Moat.Tests.Compile;

/// <summary>The compile stage: operator values that do not parse, reported at the value that is wrong.</summary>
public sealed class ConditionDiagnosticsTests
{
    [Fact]
    public void Reports_unknown_operator_with_its_line_and_column()
    {
        var load = LoadCondition("""
            all:
              - eventName: A
              - userAgent: { contains: aws-cli, startwith: x }
            """);
        var d = Single(load, DiagnosticCodes.UnknownOperator);
        Assert.Equal(DiagnosticLevel.Error, d.Level);
        Assert.Equal(At(8, 39), d.Span);
        Assert.Empty(load.Rules);
    }

    [Fact]
    public void Reports_unknown_operator_in_block_style()
    {
        var load = LoadCondition("""
            userAgent:
              matches: x
            """);
        Assert.Equal(At(7, 5), Single(load, DiagnosticCodes.UnknownOperator).Span);
    }

    [Fact]
    public void Reports_a_regex_that_does_not_compile_at_the_pattern()
    {
        var load = LoadCondition("""
            userAgent: { regex: ["^ok$", "(unclosed"] }
            """);
        var d = Single(load, DiagnosticCodes.BadRegex);
        Assert.Equal(At(6, 32), d.Span);
        Assert.Empty(load.Rules);
    }

    [Theory]
    [InlineData(@"(a)\\1")]
    [InlineData("(?=a)b")]
    [InlineData("(?<=a)b")]
    public void Reports_regex_constructs_the_linear_time_engine_lacks(string pattern)
    {
        var load = LoadCondition("userAgent: { regex: \"" + pattern + "\" }");
        Assert.Equal(At(6, 23), Single(load, DiagnosticCodes.BadRegex).Span);
    }

    [Theory]
    [InlineData("10.0.0.0/33")]
    [InlineData("10.0.0.0/-1")]
    [InlineData("10.0.0.0/x")]
    [InlineData("300.1.1.1")]
    [InlineData("not-an-ip")]
    [InlineData("::/129")]
    [InlineData("10/8")]
    [InlineData("10.0/16")]
    [InlineData("010.0.0.0/8")]
    [InlineData("0x0a.0.0.0/8")]
    [InlineData("167772160/8")]
    [InlineData("10.0.0.0/+8")]
    [InlineData("10.0.0.0/ 8")]
    [InlineData("10.0.0.0/0008")]
    public void Reports_a_bad_cidr_at_its_value(string cidr)
    {
        var load = LoadCondition("sourceIPAddress: { cidr: [10.0.0.0/8, \"" + cidr + "\"] }");
        var d = Single(load, DiagnosticCodes.BadCidr);
        Assert.Equal(At(6, 41), d.Span);
        Assert.Empty(load.Rules);
    }

    [Theory]
    [InlineData("70000")]
    [InlineData("-1")]
    [InlineData("ssh")]
    [InlineData("22.5")]
    public void Reports_a_bad_port_number_at_its_value(string port)
    {
        var load = LoadCondition("port_range: { protocol: p, from: f, to: t, covers_any: [22, " + port + "] }");
        var d = Single(load, DiagnosticCodes.BadNumber);
        Assert.Equal(At(6, 63), d.Span);
        Assert.Empty(load.Rules);
    }

    [Fact]
    public void Reports_port_range_with_no_ports_once()
    {
        var load = LoadCondition("port_range: { protocol: p, from: f, to: t, covers_any: [] }");
        Assert.Equal(At(6, 58), Assert.Single(load.Diagnostics, d => d.Level == DiagnosticLevel.Error).Span);
        Assert.Equal(DiagnosticCodes.EmptyList, Assert.Single(load.Diagnostics, d => d.Level == DiagnosticLevel.Error).Code);
        Assert.Empty(load.Rules);
    }

    [Theory]
    [InlineData("covers_any: [70000]", DiagnosticCodes.BadNumber)]
    [InlineData("covers_any: { a: 1 }", DiagnosticCodes.WrongType)]
    [InlineData("covers_any: [[22]]", DiagnosticCodes.WrongType)]
    public void Reports_port_range_without_a_usable_port_once(string ports, string code)
    {
        var load = LoadCondition("port_range: { protocol: p, from: f, to: t, " + ports + " }");
        Assert.Equal(code, Assert.Single(load.Diagnostics, d => d.Level == DiagnosticLevel.Error).Code);
        Assert.Empty(load.Rules);
    }

    [Fact]
    public void A_single_port_may_be_written_without_a_list()
    {
        var rule = Rule("port_range: { protocol: p, from: f, to: t, covers_any: 22 }");
        Assert.True(rule.Matches("""{"p": "tcp", "f": 22, "t": 22}"""));
    }

    [Fact]
    public void Reports_port_range_without_covers_any()
    {
        var load = LoadCondition("port_range: { protocol: p, from: f, to: t }");
        Assert.Equal(At(6, 15), Single(load, DiagnosticCodes.MissingField).Span);
    }

    [Theory]
    [InlineData("gt: many")]
    [InlineData("lte: [1, 2]")]
    public void Reports_a_comparison_with_something_other_than_a_number(string op)
    {
        var load = LoadCondition("port: { " + op + " }");
        Assert.Equal(6, Single(load, DiagnosticCodes.BadNumber).Span.Line);
        Assert.Empty(load.Rules);
    }

    [Fact]
    public void Reports_an_empty_in_list()
    {
        var load = LoadCondition("eventName: { in: [] }");
        Assert.Equal(At(6, 20), Single(load, DiagnosticCodes.EmptyList).Span);
        Assert.Empty(load.Rules);
    }

    [Fact]
    public void Reports_ignore_case_with_nothing_to_apply_it_to()
    {
        var load = LoadCondition("eventName: { ignore_case: true }");
        Assert.Equal(At(6, 3), Single(load, DiagnosticCodes.EmptyList).Span);
    }

    [Theory]
    [InlineData("exists: maybe")]
    [InlineData("null: 1")]
    [InlineData("ignore_case: yes")]
    [InlineData("covers_all_addresses: [true]")]
    public void Reports_a_flag_operator_that_is_not_true_or_false(string op)
    {
        var load = LoadCondition("x: { equals: a, " + op + " }");
        Assert.Equal(DiagnosticCodes.WrongType, Assert.Single(load.Diagnostics, d => d.Level == DiagnosticLevel.Error).Code);
    }

    [Theory]
    [InlineData("errorCode: null")]
    [InlineData("errorCode: ~")]
    [InlineData("errorCode: [A, null]")]
    public void Comparing_with_null_must_use_the_null_operator(string condition)
    {
        var load = LoadCondition(condition);
        Assert.Equal(6, Single(load, DiagnosticCodes.WrongType).Span.Line);
        Assert.Empty(load.Rules);
    }

    [Theory]
    [InlineData("a..b: 1")]
    [InlineData("\"a.\": 1")]
    [InlineData("\"$.\": 1")]
    [InlineData("\"a|\": 1")]
    public void Reports_a_malformed_field_path(string condition)
    {
        var load = LoadCondition(condition);
        Assert.Equal(At(6, 3), Single(load, DiagnosticCodes.BadPath).Span);
        Assert.Empty(load.Rules);
    }

    [Fact]
    public void Reports_a_malformed_item_path()
    {
        var load = LoadCondition("any_item: { path: a..b, where: { x: 1 } }");
        Assert.Equal(At(6, 3), Single(load, DiagnosticCodes.BadPath).Span);
    }

    [Fact]
    public void Reports_any_item_without_where()
    {
        var load = LoadCondition("any_item: { path: items }");
        Assert.Equal(At(6, 13), Single(load, DiagnosticCodes.MissingField).Span);
    }

    [Fact]
    public void Reports_every_bad_operator_of_a_rule_not_just_the_first()
    {
        var load = LoadCondition("""
            all:
              - a: { regex: "(" }
              - b: { cidr: 1.2.3.4/40 }
              - c: { gt: x }
              - d: { bogus: 1 }
            """);
        Assert.Equal(
            [DiagnosticCodes.BadRegex, DiagnosticCodes.BadCidr, DiagnosticCodes.BadNumber, DiagnosticCodes.UnknownOperator],
            load.Diagnostics.Where(d => d.Level == DiagnosticLevel.Error).Select(d => d.Code));
    }
}
