using Moat.Rules;
using Moat.Rules.Sigma;
using static Moat.Tests.Sigma.SigmaFixture;

namespace Moat.Tests.Sigma;

/// <summary>Sigma correlation documents, read as plain data, and their references to loaded rules.</summary>
public sealed class CorrelationDocumentTests
{
    private const string FailedLogin = """
        title: Failed console login
        id: 0b6c2a44-0000-4000-8000-000000000001
        name: failed_console_login
        logsource:
          product: aws
          service: cloudtrail
        detection:
          sel:
            eventName: ConsoleLogin
            errorMessage: Failed authentication
          condition: sel
        ---
        title: Successful console login
        id: 0b6c2a44-0000-4000-8000-000000000002
        name: console_login
        logsource:
          product: aws
          service: cloudtrail
        detection:
          sel:
            eventName: ConsoleLogin
            responseElements.ConsoleLogin: Success
          condition: sel
        ---

        """;

    private static SigmaCorrelation LoadOne(string correlation)
    {
        var load = Load(FailedLogin + correlation);
        Assert.DoesNotContain(load.Diagnostics, d => d.Level == DiagnosticLevel.Error);
        Assert.Equal(2, load.Rules.Count);
        return Assert.Single(load.Correlations);
    }

    [Fact]
    public void Event_count_reads_rules_group_by_timespan_and_a_range_condition()
    {
        var c = LoadOne("""
            title: Brute force
            id: corr-brute
            name: brute_force
            description: Many failures from one address
            author: Someone
            level: high
            tags:
              - attack.credential-access
              - attack.t1110
            correlation:
              type: event_count
              rules:
                - failed_console_login
              group-by:
                - sourceIPAddress
                - userIdentity.arn
              timespan: 15m
              condition:
                gte: 10
                lt: 100
            """);
        Assert.Equal("corr-brute", c.Id);
        Assert.Equal("brute_force", c.Name);
        Assert.Equal("Brute force", c.Title);
        Assert.Equal("Many failures from one address", c.Description);
        Assert.Equal("Someone", c.Author);
        Assert.Equal(CorrelationType.EventCount, c.Type);
        Assert.Equal(["failed_console_login"], c.Rules);
        Assert.Equal(["sourceIPAddress", "userIdentity.arn"], c.GroupBy);
        Assert.Equal(TimeSpan.FromMinutes(15), c.Timespan);
        Assert.Equal([("gte", 10.0), ("lt", 100.0)], c.Condition.Comparisons);
        Assert.Null(c.Condition.Field);
        Assert.False(c.Generate);
        Assert.Equal(Severity.High, c.Severity);
        Assert.Equal([new MitreRef("TA0006", "T1110")], c.Mitre);
        Assert.Equal(FileName, c.Span.File);
        Assert.Equal(25, c.Span.Line);
    }

    [Fact]
    public void Generate_is_false_unless_set_to_true()
    {
        const string body = "correlation:\n  type: event_count\n  rules: [failed_console_login]\n  timespan: 1h\n  condition:\n    gt: 3\n";
        Assert.False(LoadOne("title: c\nid: c\n" + body).Generate);
        Assert.True(LoadOne("title: c\nid: c\n" + body.Replace("correlation:\n", "correlation:\n  generate: true\n")).Generate);
    }

    [Fact]
    public void Value_count_needs_and_keeps_the_field()
    {
        var c = LoadOne("title: c\nid: c\ncorrelation:\n  type: value_count\n  rules: [failed_console_login]\n  group-by: [sourceIPAddress]\n  timespan: 1d\n  condition:\n    field: userIdentity.userName\n    gte: 5\n");
        Assert.Equal(CorrelationType.ValueCount, c.Type);
        Assert.Equal("userIdentity.userName", c.Condition.Field);
        Assert.Equal(TimeSpan.FromDays(1), c.Timespan);

        var missing = Load(FailedLogin + "title: c\nid: c\ncorrelation:\n  type: value_count\n  rules: [failed_console_login]\n  timespan: 1d\n  condition:\n    gte: 5\n");
        Assert.Empty(missing.Correlations);
        Assert.Single(missing.Diagnostics, d => d.Code == DiagnosticCodes.MissingField);
    }

    [Fact]
    public void Temporal_defaults_to_every_rule_and_reads_aliases()
    {
        var c = LoadOne("""
            title: Failures then success
            id: corr-temporal
            correlation:
              type: temporal_ordered
              rules:
                - failed_console_login
                - console_login
              group-by:
                - ip
              timespan: 30s
              aliases:
                ip:
                  failed_console_login: sourceIPAddress
                  console_login: sourceIPAddress
            """);
        Assert.Equal(CorrelationType.TemporalOrdered, c.Type);
        Assert.Equal(TimeSpan.FromSeconds(30), c.Timespan);
        Assert.Equal([("gte", 2.0)], c.Condition.Comparisons);
        var ip = c.Aliases["ip"];
        Assert.Equal("sourceIPAddress", ip["failed_console_login"]);
        Assert.Equal("sourceIPAddress", ip["console_login"]);
    }

    [Fact]
    public void A_correlation_may_name_rules_by_id_and_other_correlations_by_name()
    {
        var load = Load(FailedLogin + """
            title: base
            id: corr-base
            name: base_corr
            correlation:
              type: event_count
              rules: [0b6c2a44-0000-4000-8000-000000000001]
              timespan: 5m
              condition:
                gte: 3
            ---
            title: chained
            id: corr-chain
            correlation:
              type: temporal
              rules: [base_corr, console_login]
              timespan: 10m
            """);
        Assert.Empty(load.Diagnostics);
        Assert.Equal(["corr-base", "corr-chain"], load.Correlations.Select(c => c.Id).ToArray());
    }

    [Fact]
    public void A_correlation_naming_an_unknown_rule_is_an_error_and_is_dropped()
    {
        var load = Load(FailedLogin + "title: c\nid: corr-x\ncorrelation:\n  type: event_count\n  rules:\n    - failed_console_login\n    - nonexistent_rule\n  timespan: 5m\n  condition:\n    gte: 3\n");
        Assert.Empty(load.Correlations);
        Assert.Equal(2, load.Rules.Count);
        var d = Single(load, DiagnosticCodes.SigmaReference);
        Assert.Equal(DiagnosticLevel.Error, d.Level);
        Assert.Equal(At(25, 1), d.Span);
        Assert.Contains("nonexistent_rule", d.Message);
    }

    [Fact]
    public void A_correlation_naming_a_rule_that_failed_to_load_is_an_error()
    {
        var broken = FailedLogin.Replace("condition: sel\n---\ntitle: Successful", "condition: sel and nope\n---\ntitle: Successful");
        var load = Load(broken + "title: c\nid: corr-x\ncorrelation:\n  type: event_count\n  rules: [failed_console_login]\n  timespan: 5m\n  condition:\n    gte: 3\n");
        Assert.Empty(load.Correlations);
        Assert.Single(load.Diagnostics, d => d.Code == DiagnosticCodes.SigmaReference);
    }

    [Fact]
    public void A_correlation_id_may_not_repeat_a_rule_id()
    {
        var load = Load(FailedLogin + "title: c\nid: 0b6c2a44-0000-4000-8000-000000000001\ncorrelation:\n  type: event_count\n  rules: [console_login]\n  timespan: 5m\n  condition:\n    gte: 3\n");
        Assert.Empty(load.Correlations);
        Assert.Single(load.Diagnostics, d => d.Code == DiagnosticCodes.DuplicateId);
    }

    [Theory]
    [InlineData("  type: event_sum\n  rules: [console_login]\n  timespan: 5m\n  condition:\n    gte: 3\n", DiagnosticCodes.UnknownOperator)]
    [InlineData("  type: event_count\n  rules: [console_login]\n  timespan: 5 minutes\n  condition:\n    gte: 3\n", DiagnosticCodes.BadDuration)]
    [InlineData("  type: event_count\n  rules: [console_login]\n  condition:\n    gte: 3\n", DiagnosticCodes.MissingField)]
    [InlineData("  type: event_count\n  rules: [console_login]\n  timespan: 5m\n", DiagnosticCodes.MissingField)]
    [InlineData("  type: event_count\n  timespan: 5m\n  condition:\n    gte: 3\n", DiagnosticCodes.MissingField)]
    [InlineData("  type: event_count\n  rules: [console_login]\n  timespan: 5m\n  condition:\n    gte: many\n", DiagnosticCodes.BadNumber)]
    [InlineData("  type: event_count\n  rules: [console_login]\n  timespan: 5m\n  condition:\n    above: 3\n", DiagnosticCodes.UnknownOperator)]
    public void Malformed_correlations_are_reported(string body, string code)
    {
        var load = Load(FailedLogin + "title: c\nid: c\ncorrelation:\n" + body);
        Assert.Empty(load.Correlations);
        Assert.Contains(load.Diagnostics, d => d.Code == code && d.Level == DiagnosticLevel.Error);
    }

    [Fact]
    public void A_correlation_with_an_unknown_level_is_reported_and_dropped()
    {
        var load = Load(FailedLogin + "title: c\nid: c\nlevel: severe\ncorrelation:\n  type: event_count\n  rules: [console_login]\n  timespan: 5m\n  condition:\n    gte: 3\n");
        Assert.Empty(load.Correlations);
        Assert.Equal(At(27, 8), Single(load, DiagnosticCodes.BadSeverity).Span);
    }

    [Fact]
    public void Correlations_are_not_rules_and_do_not_change_the_rules_they_name()
    {
        var load = Load(FailedLogin + "title: c\nid: c\ncorrelation:\n  type: event_count\n  rules: [console_login]\n  timespan: 5m\n  condition:\n    gte: 3\n");
        Assert.Equal(2, load.Rules.Count);
        Assert.DoesNotContain(load.Rules, r => r.Id == "c");
        var login = load.Rules.Single(r => r.Id == "0b6c2a44-0000-4000-8000-000000000002");
        Assert.Single(FindingsFor(login, """{"eventName": "ConsoleLogin", "eventSource": "signin.amazonaws.com", "responseElements": {"ConsoleLogin": "Success"}}"""));
    }
}
