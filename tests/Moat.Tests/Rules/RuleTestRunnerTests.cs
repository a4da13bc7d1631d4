using System.Text;
using Moat.Rules;
using Moat.Testing;

namespace Moat.Tests.Rules;

/// <summary>Embedded rule tests: YAML events turned into JSON and run through the scan path.</summary>
public sealed class RuleTestRunnerTests
{
    private static string Json(string yaml)
    {
        var diagnostics = new List<Diagnostic>();
        var docs = RuleReader.ParseYaml(yaml, "t.yaml", diagnostics);
        Assert.Empty(diagnostics);
        var bytes = YamlJson.ToJson(Assert.Single(docs!), out var error);
        Assert.Null(error);
        return Encoding.UTF8.GetString(bytes!);
    }

    [Fact]
    public void Plain_numbers_are_json_numbers_and_quoted_ones_strings()
    {
        Assert.Equal("""{"a":22,"b":"22","c":-1,"d":1.5,"e":2e3,"f":"0123","g":"1-2","h":".5","i":"5."}""",
            Json("{ a: 22, b: \"22\", c: -1, d: 1.5, e: 2e3, f: 0123, g: 1-2, h: .5, i: 5. }"));
    }

    [Fact]
    public void Plain_values_that_dotnet_reads_as_numbers_but_json_does_not_become_strings()
    {
        // double.TryParse accepts "1.e5"; written raw it made Utf8JsonWriter throw out of the test runner.
        Assert.Equal("""{"a":"1.e5","b":"-2.E3","c":"1.","d":1.0e5}""", Json("{ a: 1.e5, b: -2.E3, c: 1., d: 1.0e5 }"));
    }

    [Fact]
    public void A_test_event_with_a_dot_exponent_value_runs()
    {
        var results = RunTests("""
            condition:
              eventName: A
              version: "1.e5"
            tests:
              - { name: odd number, match: true, event: { eventName: A, version: 1.e5 } }
            """);
        Assert.True(Assert.Single(results).Passed);
    }

    [Fact]
    public void Plain_true_false_and_null_are_json_literals()
    {
        Assert.Equal("""{"a":true,"b":false,"c":null,"d":null,"e":null,"f":"true","g":"null","h":"True","i":"yes"}""",
            Json("{ a: true, b: false, c: null, d: ~, e: , f: \"true\", g: 'null', h: True, i: yes }"));
    }

    [Fact]
    public void Nested_mappings_and_lists_become_objects_and_arrays()
    {
        Assert.Equal("""{"r":{"items":[{"cidrIp":"0.0.0.0/0"},"x",[]],"empty":{}}}""",
            Json("r: { items: [ { cidrIp: 0.0.0.0/0 }, x, [] ], empty: {} }"));
    }

    [Fact]
    public void A_quoted_event_is_taken_as_json_verbatim()
    {
        Assert.Equal("""{"eventName": "A", "n": 1.0}""", Json("'{\"eventName\": \"A\", \"n\": 1.0}'"));
    }

    [Fact]
    public void A_quoted_event_that_is_not_json_is_an_error()
    {
        var docs = RuleReader.ParseYaml("'{not json'", "t.yaml", []);
        Assert.Null(YamlJson.ToJson(docs![0], out var error));
        Assert.NotNull(error);
        Assert.Null(YamlJson.ToJson(RuleReader.ParseYaml("[1, 2]", "t.yaml", [])![0], out error));
        Assert.NotNull(error);
    }

    private static List<RuleTestResult> RunTests(string conditionAndTests)
    {
        var rule = RuleFixture.LoadRule("id: T.Rule\ntitle: Test rule\nseverity: low\n" + conditionAndTests);
        return RuleTestRunner.Run(rule);
    }

    [Fact]
    public void Plain_and_quoted_values_in_test_events_reach_the_rule_as_number_and_string()
    {
        // equals compares numbers by value and strings by text: 22.0 is 22, "22.0" is not "22".
        var results = RunTests("""
            condition:
              eventName: A
              port: 22
            tests:
              - { name: plain number, match: true, event: { eventName: A, port: 22.0 } }
              - { name: quoted string, match: false, event: { eventName: A, port: "22.0" } }
            """);
        Assert.Equal([true, true], results.Select(r => r.Passed));
    }

    [Fact]
    public void Reports_each_test_as_passed_or_failed_with_expected_and_actual()
    {
        var results = RunTests("""
            condition:
              eventName: A
              port: 22
            tests:
              - { name: hit, match: true, event: { eventName: A, port: 22 } }
              - { name: miss, match: false, event: { eventName: A, port: 23 } }
              - { name: wrong, match: true, event: { eventName: A, port: "23" } }
              - { name: string port, match: true, event: { eventName: A, port: "22" } }
            """);
        Assert.Equal(["hit", "miss", "wrong", "string port"], results.Select(r => r.TestName));
        Assert.Equal([true, true, false, true], results.Select(r => r.Passed));
        Assert.Equal(("match", "no match"), (results[2].Expected, results[2].Actual));
        Assert.Equal(new SourceSpan("t.yaml", 10, 5), results[2].Span);
        Assert.All(results, r => Assert.Equal("T.Rule", r.RuleId));
    }

    [Fact]
    public void Checks_the_expected_severity()
    {
        var results = RunTests("""
            severity_when:
              - severity: critical
                condition: { cidr: 0.0.0.0/0 }
            condition:
              eventName: A
            tests:
              - { name: critical, match: true, severity: critical, event: { eventName: A, cidr: 0.0.0.0/0 } }
              - { name: default, match: true, severity: low, event: { eventName: A, cidr: 10.0.0.0/8 } }
              - { name: wrong, match: true, severity: critical, event: { eventName: A } }
            """);
        Assert.Equal([true, true, false], results.Select(r => r.Passed));
        Assert.Equal(("match (critical)", "match (low)"), (results[2].Expected, results[2].Actual));
    }

    [Fact]
    public void A_test_event_without_an_event_name_is_not_an_event()
    {
        // The condition alone would match; the scan path skips records that are not CloudTrail events.
        var results = RunTests("""
            condition:
              not: { eventName: B }
            tests:
              - { name: no name, match: true, event: { x: 1 } }
            """);
        var r = Assert.Single(results);
        Assert.False(r.Passed);
        Assert.Equal("no match", r.Actual);
    }

    [Fact]
    public void A_test_event_that_is_not_json_is_reported_with_its_code()
    {
        var results = RunTests("""
            condition:
              eventName: A
            tests:
              - { name: broken, match: true, event: "{not json" }
            """);
        var r = Assert.Single(results);
        Assert.False(r.Passed);
        Assert.StartsWith(DiagnosticCodes.BadTestEvent, r.Actual);
    }
}
