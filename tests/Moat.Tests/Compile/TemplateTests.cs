using System.Text.Json;
using Moat.Compile;
using Moat.Rules;
using static Moat.Tests.Rules.RuleFixture;

namespace Moat.Tests.Compile;

/// <summary>{{path ?? other | filter:"arg"}} templates: fallbacks, every filter, and their diagnostics.</summary>
public sealed class TemplateTests
{
    private const string Event = """
        {
          "eventName": "AuthorizeSecurityGroupIngress",
          "awsRegion": "us-east-1",
          "recipientAccountId": "123456789012",
          "userIdentity": {"accountId": "210987654321", "arn": "arn:aws:iam::123456789012:user/Ann"},
          "requestParameters": {"groupId": "sg-1", "fromPort": 22, "enabled": true, "empty": "", "none": null,
                                "tags": ["Alpha", "Beta"], "filter": {"name": "x"}}
        }
        """;

    private static Template CompileTemplate(string text)
    {
        var diagnostics = new List<Diagnostic>();
        var t = Template.Compile(new TemplateText(text, At(1, 1)), new HashSet<string>(), diagnostics);
        Assert.Empty(diagnostics);
        return Assert.IsType<Template>(t);
    }

    private static List<string> RenderLines(string text, string json = Event)
    {
        using var doc = JsonDocument.Parse(json);
        return CompileTemplate(text).RenderLines(new RenderContext(doc.RootElement, new Captures(), "T.Rule", "Test rule", Severity.High));
    }

    private static string Render(string text, string json = Event) => string.Join('\n', RenderLines(text, json));

    private static Diagnostic TemplateError(string text)
    {
        var diagnostics = new List<Diagnostic>();
        Assert.Null(Template.Compile(new TemplateText(text, At(1, 1)), new HashSet<string>(), diagnostics));
        var d = Assert.Single(diagnostics);
        Assert.Equal(DiagnosticCodes.BadTemplate, d.Code);
        return d;
    }

    [Fact]
    public void Text_without_placeholders_is_unchanged()
    {
        Assert.Equal("no {placeholders} here }}", Render("no {placeholders} here }}"));
    }

    [Fact]
    public void Substitutes_field_values()
    {
        Assert.Equal("sg-1 in us-east-1", Render("{{requestParameters.groupId}} in {{awsRegion}}"));
        Assert.Equal("sg-1", Render("{{ requestParameters.groupId }}"));
    }

    [Fact]
    public void Numbers_booleans_and_objects_render_as_json_text()
    {
        Assert.Equal("22 true {\"name\": \"x\"}", Render("{{requestParameters.fromPort}} {{requestParameters.enabled}} {{requestParameters.filter}}"));
    }

    [Fact]
    public void Missing_and_null_values_render_empty()
    {
        Assert.Equal("[][]", Render("[{{requestParameters.missing}}][{{requestParameters.none}}]"));
    }

    [Fact]
    public void Array_values_are_joined_with_a_comma()
    {
        Assert.Equal("Alpha, Beta", Render("{{requestParameters.tags}}"));
    }

    [Fact]
    public void Fallback_takes_the_first_path_with_a_value()
    {
        Assert.Equal("123456789012", Render("{{recipientAccountId ?? userIdentity.accountId}}"));
        Assert.Equal("210987654321", Render("{{missing ?? userIdentity.accountId}}"));
        Assert.Equal("sg-1", Render("{{requestParameters.none ?? requestParameters.missing ?? requestParameters.groupId}}"));
        Assert.Equal("", Render("{{a ?? b ?? c}}"));
    }

    [Fact]
    public void An_empty_string_is_a_value_for_the_fallback()
    {
        Assert.Equal("", Render("{{requestParameters.empty ?? requestParameters.groupId}}"));
    }

    [Fact]
    public void Rule_fields_are_available()
    {
        Assert.Equal("T.Rule Test rule high", Render("{{rule.id}} {{rule.title}} {{rule.severity}}"));
    }

    [Fact]
    public void Join_uses_its_separator()
    {
        Assert.Equal("Alpha + Beta", Render("{{requestParameters.tags | join:\" + \"}}"));
        Assert.Equal("AlphaBeta", Render("{{requestParameters.tags | join:\"\"}}"));
        Assert.Equal("Alpha, Beta", Render("{{requestParameters.tags | join}}"));
    }

    [Fact]
    public void Map_places_each_value_at_the_percent_sign()
    {
        Assert.Equal("--tag Alpha, --tag Beta", Render("{{requestParameters.tags | map:\"--tag %\"}}"));
        Assert.Equal("{K=Alpha},{K=Beta}", Render("{{requestParameters.tags | map:\"{K=%}\" | join:\",\"}}"));
        Assert.Equal("", Render("{{requestParameters.missing | map:\"x%\"}}"));
    }

    [Fact]
    public void Default_applies_only_when_there_is_no_value()
    {
        Assert.Equal("all", Render("{{requestParameters.missing | default:\"all\"}}"));
        Assert.Equal("all", Render("{{requestParameters.none | default:\"all\"}}"));
        Assert.Equal("all", Render("{{requestParameters.empty | default:\"all\"}}"));
        Assert.Equal("22", Render("{{requestParameters.fromPort | default:\"all\"}}"));
    }

    [Fact]
    public void Json_quotes_one_value_and_lists_several()
    {
        Assert.Equal("\"sg-1\"", Render("{{requestParameters.groupId | json}}"));
        Assert.Equal("[\"Alpha\",\"Beta\"]", Render("{{requestParameters.tags | json}}"));
        Assert.Equal("a\"b<", JsonSerializer.Deserialize<string>(Render("{{v | json}}", """{"v": "a\"b<"}""")));
    }

    [Fact]
    public void First_keeps_the_first_value()
    {
        Assert.Equal("Alpha", Render("{{requestParameters.tags | first}}"));
        Assert.Equal("sg-1", Render("{{requestParameters.groupId | first}}"));
    }

    [Fact]
    public void Lower_and_upper_change_case()
    {
        Assert.Equal("alpha, beta", Render("{{requestParameters.tags | lower}}"));
        Assert.Equal("SG-1", Render("{{requestParameters.groupId | upper}}"));
    }

    [Fact]
    public void Ifany_formats_only_when_there_is_a_value()
    {
        Assert.Equal("x --group-id sg-1", Render("x{{requestParameters.groupId | ifany:\" --group-id %\"}}"));
        Assert.Equal("x", Render("x{{requestParameters.missing | ifany:\" --group-id %\"}}"));
        Assert.Equal("x", Render("x{{requestParameters.empty | ifany:\" --group-id %\"}}"));
        Assert.Equal("[Alpha, Beta]", Render("{{requestParameters.tags | ifany:\"[%]\"}}"));
    }

    [Theory]
    [InlineData("sg-0123456789abcdef0", "sg-0123456789abcdef0")]
    [InlineData("arn:aws:iam::123:user/a.b=c,d@e+f%", "arn:aws:iam::123:user/a.b=c,d@e+f%")]
    [InlineData("it's $(rm -rf /)", "'it'\\''s $(rm -rf /)'")]
    [InlineData("a b", "'a b'")]
    [InlineData("`id`;x|y&z>w", "'`id`;x|y&z>w'")]
    [InlineData("line\nbreak", "'line\nbreak'")]
    [InlineData("$HOME", "'$HOME'")]
    [InlineData("", "''")]
    public void Sh_quotes_for_a_posix_shell(string value, string expected)
    {
        Assert.Equal(expected, Render("{{v | sh}}", JsonSerializer.Serialize(new { v = value })));
    }

    [Fact]
    public void Sh_quotes_each_value_of_a_list()
    {
        Assert.Equal("'a b', c", Render("{{v | sh}}", """{"v": ["a b", "c"]}"""));
    }

    [Theory]
    [InlineData("10.0.0.0/8", "10.0.0.0/8")]
    [InlineData("2001:db8::/32", "2001:db8::/32")]
    [InlineData("sg-1_a", "sg-1_a")]
    [InlineData("22}],IpRanges=[{CidrIp=1.2.3.4/32", "22IpRangesCidrIp1.2.3.4/32")]
    [InlineData("x'; rm -rf / #", "xrm-rf/")]
    [InlineData("$(id)", "id")]
    public void Safe_keeps_only_identifier_characters(string value, string expected)
    {
        Assert.Equal(expected, Render("{{v | safe}}", JsonSerializer.Serialize(new { v = value })));
    }

    [Fact]
    public void Filters_apply_from_left_to_right()
    {
        Assert.Equal("all", Render("{{requestParameters.missing | default:\"ALL\" | lower}}"));
        Assert.Equal("ALL", Render("{{requestParameters.missing | lower | default:\"ALL\"}}"));
        Assert.Equal("'x y'", Render("{{v | default:\"x y\" | sh}}", "{}"));
    }

    [Fact]
    public void Quoted_filter_arguments_may_hold_braces_and_bars()
    {
        Assert.Equal("}}|{{", Render("{{requestParameters.missing | default:\"}}|{{\"}}"));
    }

    [Fact]
    public void Required_drops_the_line_when_the_value_is_missing_or_empty()
    {
        Assert.Equal(["a", "c"], RenderLines("a\nb {{requestParameters.missing | required}}\nc"));
        Assert.Equal(["a", "c"], RenderLines("a\nb {{requestParameters.empty | required}}\nc"));
        Assert.Equal(["a", "b sg-1", "c"], RenderLines("a\nb {{requestParameters.groupId | required}}\nc"));
        Assert.Empty(RenderLines("{{requestParameters.none | sh | required}}"));
    }

    [Fact]
    public void Each_line_is_rendered_separately()
    {
        Assert.Equal(["sg-1", "", "us-east-1"], RenderLines("{{requestParameters.groupId}}\r\n\n{{awsRegion}}"));
    }

    [Fact]
    public void Reports_an_unclosed_placeholder()
    {
        Assert.Equal(At(1, 6), TemplateError("echo {{requestParameters.groupId").Span);
        Assert.Equal(At(2, 3), TemplateError("ok\nx {{a | default:\"}}\"").Span);
    }

    [Theory]
    [InlineData("remediation: |-\n  echo {{x\n", 6, 8)]
    [InlineData("remediation: |\n  echo {{x\n", 6, 8)]
    [InlineData("remediation: |\n    ok\n\n    echo {{x | nope}}\n", 8, 10)]
    [InlineData("runbook: >-\n  see {{x | nope}}\n", 6, 7)]
    [InlineData("runbook: \"see {{x | nope}}\"\n", 5, 15)]
    [InlineData("runbook: 'see {{x | nope}}'\n", 5, 15)]
    [InlineData("runbook: see {{x | nope}}\n", 5, 14)]
    [InlineData("resource:\n  id: '{{a | nope}}'\n", 6, 8)]
    [InlineData("dedup:\n  key: \"{{a}}:{{b\"\n", 6, 15)]
    public void Reports_template_errors_at_their_line_and_column_in_the_file(string template, int line, int column)
    {
        var load = Load(Header + template + "condition:\n  eventName: A\n");
        Assert.Equal(At(line, column), Single(load, DiagnosticCodes.BadTemplate).Span);
        Assert.Empty(load.Rules);
    }

    [Theory]
    [InlineData("{{a | quote}}")]
    [InlineData("{{a | Join}}")]
    [InlineData("{{a | }}")]
    public void Reports_an_unknown_filter(string text)
    {
        Assert.Equal(At(1, 1), TemplateError(text).Span);
    }

    [Theory]
    [InlineData("{{}}")]
    [InlineData("{{ | sh}}")]
    [InlineData("{{a ?? }}")]
    [InlineData("{{a..b}}")]
    public void Reports_an_empty_or_malformed_path(string text)
    {
        TemplateError(text);
    }

    [Fact]
    public void A_rule_with_a_bad_template_does_not_load()
    {
        foreach (var key in new[] { "runbook", "remediation", "resource:\n  id", "dedup:\n  key" })
        {
            var load = Load(Header + key + ": \"{{x | nope}}\"\ncondition:\n  eventName: A\n");
            Assert.Contains(load.Diagnostics, d => d.Code == DiagnosticCodes.BadTemplate);
            Assert.Empty(load.Rules);
        }
    }
}
